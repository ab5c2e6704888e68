/**
 * Token generation and ownership on the 32-bit ring. A token t owns the range (previous token, t],
 * wrapping at 2^32.
 *
 * Generation follows the idea of Mimir's spread-minimizing tokens: a new instance should leave every
 * instance of its zone with the same share. With n peers it must end up owning 1/(n+1) of the ring, and
 * it takes that share from each peer in proportion to how much that peer owns above 1/(n+1). Its tokens
 * land inside the largest ranges of each peer, cutting off exactly the amount to take. When instances
 * join one after another this keeps every share equal up to rounding (tokens.test.ts checks ±10% for
 * 3..10 instances).
 */
export const RING_SIZE = 2 ** 32;

/** An instance as seen by token generation: its id, zone and sorted tokens. */
export interface TokenOwner {
  readonly id: string;
  readonly zone: string;
  readonly tokens: Uint32Array;
}

/** Sorted tokens plus, for each, the index of its owner in the owners list. */
export interface TokenTable {
  tokens: Uint32Array;
  owners: Int32Array;
}

export function buildTokenTable(owners: readonly TokenOwner[]): TokenTable {
  let n = 0;
  for (const o of owners) n += o.tokens.length;
  const pairs = new Float64Array(n);
  let k = 0;
  // Pack (token, owner index) into one double so one typed-array sort orders both
  for (let oi = 0; oi < owners.length; oi++) {
    for (const t of owners[oi]!.tokens) pairs[k++] = t * 65536 + oi;
  }
  pairs.sort();
  const tokens = new Uint32Array(n);
  const ownerIdx = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const p = pairs[i]!;
    const oi = p % 65536;
    tokens[i] = (p - oi) / 65536;
    ownerIdx[i] = oi;
  }
  return { tokens, owners: ownerIdx };
}

/** Fraction of the ring each owner holds (primary ranges only), keyed by id. */
export function ownership(owners: readonly TokenOwner[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const o of owners) out.set(o.id, 0);
  const { tokens, owners: idx } = buildTokenTable(owners);
  const n = tokens.length;
  if (n === 0) return out;
  for (let i = 0; i < n; i++) {
    const prev = i === 0 ? tokens[n - 1]! - RING_SIZE : tokens[i - 1]!;
    const size = n === 1 ? RING_SIZE : tokens[i]! - prev;
    const id = owners[idx[i]!]!.id;
    out.set(id, out.get(id)! + size / RING_SIZE);
  }
  return out;
}

/** FNV-1a over the UTF-16 code units of s: a stable hash for offsets of first-instance tokens. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

interface Range {
  /** Exclusive start (the previous token). */
  start: number;
  size: number;
  owner: number;
}

/**
 * Tokens for a new instance. peers: instances already in the ring (any zone); balance is computed among
 * peers of the same zone, uniqueness against all. Returns count sorted, distinct tokens.
 */
export function generateTokens(opts: { id: string; zone: string; count: number; peers: readonly TokenOwner[] }): Uint32Array {
  const { id, zone, count } = opts;
  if (!Number.isInteger(count) || count < 1 || count > 65536) throw new RangeError(`Invalid token count: ${count} is outside 1..65536`);
  const taken = new Set<number>();
  for (const p of opts.peers) for (const t of p.tokens) taken.add(t);
  const peers = opts.peers.filter((p) => p.id !== id && p.zone === zone && p.tokens.length > 0);

  const chosen: number[] = [];
  const claim = (t: number, limit: number): void => {
    // Step past tokens already used by another zone (or by rounding) while staying inside the range
    let x = t >>> 0;
    let steps = 0;
    while (taken.has(x) && steps < limit) {
      x = (x + 1) >>> 0;
      steps++;
    }
    if (taken.has(x)) return;
    taken.add(x);
    chosen.push(x);
  };

  if (peers.length === 0) {
    // First instance of its zone: evenly spaced, from an offset that differs between zones
    const step = RING_SIZE / count;
    const offset = hash32(`${zone}/${id}`) % Math.max(1, Math.floor(step));
    for (let i = 0; i < count; i++) claim(Math.floor(offset + i * step), Math.floor(step) - 1);
  } else {
    takeProportionally(peers, count, claim);
  }
  // Rare: uniqueness collisions left us short; fill from the largest remaining gaps
  while (chosen.length < count) {
    const before = chosen.length;
    fillLargestGap(taken, claim);
    if (chosen.length === before) break;
  }
  return Uint32Array.from(chosen).sort();
}

function takeProportionally(peers: readonly TokenOwner[], count: number, claim: (t: number, limit: number) => void): void {
  const table = buildTokenTable(peers);
  const n = table.tokens.length;
  const ranges: Range[][] = peers.map(() => []);
  const owned = new Float64Array(peers.length);
  for (let i = 0; i < n; i++) {
    const prev = i === 0 ? table.tokens[n - 1]! : table.tokens[i - 1]!;
    const size = n === 1 ? RING_SIZE : (table.tokens[i]! - prev + RING_SIZE) % RING_SIZE;
    const owner = table.owners[i]!;
    ranges[owner]!.push({ start: prev, size, owner });
    owned[owner] = owned[owner]! + size;
  }
  const target = RING_SIZE / (peers.length + 1);
  // How much each peer gives: its excess over the new fair share, scaled so the gifts add up to the share
  const excess = Array.from(owned, (o) => Math.max(0, o - target));
  const totalExcess = excess.reduce((a, b) => a + b, 0);
  const give = excess.map((e) => (totalExcess > 0 ? (e * target) / totalExcess : target / peers.length));

  // Tokens per peer by largest remainder, capped by how many ranges the peer has
  const exact = give.map((g) => (count * g) / target);
  const perPeer = exact.map((e, i) => Math.min(Math.floor(e), ranges[i]!.length));
  let left = count - perPeer.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r);
  while (left > 0) {
    let progressed = false;
    for (const { i } of order) {
      if (left === 0) break;
      if (perPeer[i]! < ranges[i]!.length) {
        perPeer[i]!++;
        left--;
        progressed = true;
      }
    }
    if (!progressed) break;
  }

  for (let p = 0; p < peers.length; p++) {
    const k = perPeer[p]!;
    if (k === 0) continue;
    const rs = ranges[p]!.sort((a, b) => b.size - a.size).slice(0, k);
    let remaining = give[p]!;
    for (let j = 0; j < rs.length; j++) {
      const r = rs[j]!;
      // Cut an equal part of what is still to give off each of the peer's largest ranges
      const want = Math.round(remaining / (rs.length - j));
      const take = Math.max(1, Math.min(want, r.size - 1));
      remaining -= take;
      claim((r.start + take) % RING_SIZE, r.size - take - 1);
    }
  }
}

function fillLargestGap(taken: Set<number>, claim: (t: number, limit: number) => void): void {
  const all = Uint32Array.from(taken).sort();
  if (all.length === 0) {
    claim(0, 0);
    return;
  }
  let best = 0;
  let bestSize = -1;
  for (let i = 0; i < all.length; i++) {
    const prev = i === 0 ? all[all.length - 1]! : all[i - 1]!;
    const size = all.length === 1 ? RING_SIZE : (all[i]! - prev + RING_SIZE) % RING_SIZE;
    if (size > bestSize) {
      bestSize = size;
      best = prev;
    }
  }
  if (bestSize < 2) return;
  claim((best + Math.floor(bestSize / 2)) % RING_SIZE, bestSize - 2);
}
