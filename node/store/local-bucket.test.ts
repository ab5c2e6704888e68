import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bucketSuite } from './bucket.conformance.ts';
import { LocalBucket } from './local-bucket.ts';

const root = mkdtempSync(join(tmpdir(), 'frank-local-bucket-'));
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
bucketSuite('LocalBucket', async () => new LocalBucket({ dir: join(root, `b${n++}`) }), { conditionalPut: true, getRange: true });
