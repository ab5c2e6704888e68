/** Random ring descriptors for property tests (seeded, so failures reproduce). Not used by production code. */
import type { Random } from '../random.ts';
import { InstanceState } from './instance-state.ts';
import { type InstanceDesc, RingDesc } from './ring-desc.ts';

const STATES = Object.values(InstanceState);

export function randomInstance(random: Random, id: string): InstanceDesc {
  const state = STATES[Math.floor(random() * STATES.length)]!;
  const n = state === InstanceState.LEFT || state === InstanceState.PENDING ? 0 : 1 + Math.floor(random() * 4);
  const tokens = new Set<number>();
  while (tokens.size < n) tokens.add(Math.floor(random() * 2 ** 32));
  // Few distinct timestamps so ties (and the tiebreak) happen often
  const updatedMs = Math.floor(random() * 4);
  return {
    id, addr: `10.0.0.${Math.floor(random() * 3)}:9095`, zone: `zone-${Math.floor(random() * 2)}`, state,
    tokens: Uint32Array.from(tokens).sort(), heartbeatMs: Math.floor(random() * 3), registeredMs: Math.floor(random() * 2), updatedMs,
  };
}

export function randomDesc(random: Random): RingDesc {
  const out: InstanceDesc[] = [];
  const n = Math.floor(random() * 5);
  for (let i = 0; i < n; i++) out.push(randomInstance(random, `ing-${Math.floor(random() * 4)}`));
  return new RingDesc(out);
}
