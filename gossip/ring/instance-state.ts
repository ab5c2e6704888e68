/**
 * Lifecycle of a ring instance (dskit ring.proto): PENDING (registered, no tokens) → JOINING (tokens
 * claimed, not yet taking writes) → ACTIVE → LEAVING (draining) → LEFT (tombstone: no tokens; also what
 * forgetting an instance writes).
 */
export const InstanceState = {
  PENDING: 'PENDING',
  JOINING: 'JOINING',
  ACTIVE: 'ACTIVE',
  LEAVING: 'LEAVING',
  LEFT: 'LEFT',
} as const;
export type InstanceState = (typeof InstanceState)[keyof typeof InstanceState];

const ALLOWED: Record<InstanceState, readonly InstanceState[]> = {
  PENDING: ['JOINING', 'ACTIVE', 'LEAVING', 'LEFT'],
  JOINING: ['ACTIVE', 'LEAVING', 'LEFT'],
  ACTIVE: ['LEAVING', 'LEFT'],
  LEAVING: ['LEFT', 'ACTIVE'],
  LEFT: ['PENDING'],
};

export function isInstanceState(x: unknown): x is InstanceState {
  return typeof x === 'string' && Object.hasOwn(InstanceState, x);
}

/** Whether an instance may move from one state to another (a restart may re-register a LEFT instance as PENDING). */
export function canTransition(from: InstanceState, to: InstanceState): boolean {
  return from === to || ALLOWED[from].includes(to);
}
