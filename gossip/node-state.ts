/**
 * Member states and the incarnation rules that order updates about one member (SWIM + memberlist's state.go).
 * Each decide* function is pure: memberlist.ts applies the decision (timers, broadcasts, events).
 */
export const NodeState = {
  Alive: 'alive',
  Suspect: 'suspect',
  Dead: 'dead',
  /** Left on purpose (a dead message sent by the member itself). */
  Left: 'left',
} as const;
export type NodeState = (typeof NodeState)[keyof typeof NodeState];

/** Member metadata (address, zone, role, lifecycle state …): a flat object of primitives, size-limited on the wire. */
export type MemberMeta = Readonly<Record<string, string | number | boolean>>;

/** What every member knows about one member. */
export interface Member {
  /** Unique member name. */
  readonly name: string;
  /** Gossip address "host:port" (UDP and TCP). */
  readonly addr: string;
  readonly meta: MemberMeta;
  /** Raised only by the member itself, to refute suspicion or to publish new metadata. */
  readonly incarnation: number;
  readonly state: NodeState;
  /** Local clock time of the last state change, in ms. */
  readonly stateChangeMs: number;
}

export type AliveDecision = 'ignore' | 'apply' | 'refute';
export type SuspectDecision = 'ignore' | 'apply' | 'confirm' | 'refute';
export type DeadDecision = 'ignore' | 'apply' | 'refute';

export interface AliveClaim {
  incarnation: number;
  addr: string;
  meta: MemberMeta;
}

export function sameMeta(a: MemberMeta, b: MemberMeta): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

/** Decides what an alive message about a member does to our view of it. */
export function decideAlive(local: Member | undefined, claim: AliveClaim, isSelf: boolean): AliveDecision {
  if (isSelf) {
    // Our own echo, or an older rumour about us: nothing to do
    if (local !== undefined && claim.incarnation < local.incarnation) return 'ignore';
    if (local !== undefined && claim.incarnation === local.incarnation && claim.addr === local.addr && sameMeta(claim.meta, local.meta)) return 'ignore';
    // Someone spreads a different version of us at our incarnation or above (e.g. from before a restart): outbid it
    return 'refute';
  }
  // A member we never heard of
  if (local === undefined) return 'apply';
  // Ignore old or equal incarnation numbers: only the member itself raises them
  if (claim.incarnation <= local.incarnation) return 'ignore';
  return 'apply';
}

/** Decides what a suspect message about a member does. */
export function decideSuspect(local: Member | undefined, incarnation: number, isSelf: boolean, leaving: boolean): SuspectDecision {
  // Suspicion about a member we do not know is useless
  if (local === undefined) return 'ignore';
  // Ignore old incarnation numbers
  if (incarnation < local.incarnation) return 'ignore';
  // A member that is leaving does not fight for its life
  if (isSelf) return leaving ? 'ignore' : 'refute';
  // Already suspected: another member confirms it, which shortens the timeout (Lifeguard)
  if (local.state === NodeState.Suspect) return 'confirm';
  // Dead or left members cannot become suspect again
  if (local.state === NodeState.Dead || local.state === NodeState.Left) return 'ignore';
  return 'apply';
}

/** Decides what a dead message about a member does; from === node marks a graceful leave. */
export function decideDead(local: Member | undefined, incarnation: number, isSelf: boolean, leaving: boolean): DeadDecision {
  // Unknown members cannot die
  if (local === undefined) return 'ignore';
  // Ignore old incarnation numbers
  if (incarnation < local.incarnation) return 'ignore';
  // Already dead or gone: nothing changes
  if (local.state === NodeState.Dead || local.state === NodeState.Left) return 'ignore';
  // While leaving we accept death; otherwise a live member refutes any claim that it is dead
  if (isSelf) return leaving ? 'apply' : 'refute';
  return 'apply';
}
