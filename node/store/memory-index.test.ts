import { indexSuite } from './index.conformance.ts';
import { MemoryChunkIndex } from './index-backends.ts';
import { MemoryRowStore } from './memory-row-store.ts';

const spaces = new Map<string, MemoryRowStore>();
indexSuite('MemoryChunkIndex', async (space) => {
  let store = spaces.get(space);
  if (store === undefined) spaces.set(space, (store = new MemoryRowStore()));
  return new MemoryChunkIndex({}, { store });
});
