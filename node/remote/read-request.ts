/**
 * prometheus.ReadRequest (remote read): decoder for the server side, encoder
 * for clients and tests.
 */
import { newMatcher, type Matcher, type MatchType } from '../../query/model/matchers.ts';
import { StoreError } from '../core/errors.ts';
import { ProtoReader, WIRE_LEN, WIRE_VARINT } from './proto-reader.ts';
import { ProtoWriter } from './proto-writer.ts';

/** ReadRequest.ResponseType values. */
export const RESPONSE_TYPE_SAMPLES = 0;
export const RESPONSE_TYPE_STREAMED_XOR_CHUNKS = 1;

/** LabelMatcher.Type wire values, indexed: EQ=0, NEQ=1, RE=2, NRE=3. */
const MATCH_TYPES: readonly MatchType[] = ['=', '!=', '=~', '!~'];

export interface RawMatcher {
  readonly type: MatchType;
  readonly name: string;
  readonly value: string;
}

export interface ReadHints {
  readonly stepMs: number;
  readonly func: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly grouping: string[];
  readonly by: boolean;
  readonly rangeMs: number;
}

export interface ReadQuery {
  readonly startMs: number;
  readonly endMs: number;
  /** Matchers as sent; compile them with compileMatchers(). */
  readonly matchers: RawMatcher[];
  readonly hints: ReadHints | null;
}

export interface DecodedReadRequest {
  readonly queries: ReadQuery[];
  /** Accepted ResponseType values in the client's order of preference (empty = SAMPLES only). */
  readonly acceptedResponseTypes: number[];
}

/** Decodes an uncompressed ReadRequest. Throws RemoteDecodeError (400) on malformed input. */
export function decodeReadRequest(buf: Uint8Array): DecodedReadRequest {
  const r = new ProtoReader(buf);
  const queries: ReadQuery[] = [];
  const accepted: number[] = [];
  while (r.pos < r.end) {
    const at = r.pos;
    const t = r.tag('ReadRequest');
    const fieldNo = t >>> 3;
    const wt = t & 7;
    if (fieldNo === 1) {
      r.expect('ReadRequest.queries', wt, WIRE_LEN, at);
      queries.push(readQuery(r, r.lenEnd('ReadRequest.queries')));
    } else if (fieldNo === 2) {
      const f = 'ReadRequest.accepted_response_types';
      if (wt === WIRE_LEN) {
        // Packed form: concatenated varints.
        const e = r.lenEnd(f);
        const outer = r.end;
        r.end = e;
        while (r.pos < e) accepted.push(r.uint32(f));
        r.end = outer;
      } else {
        r.expect(f, wt, WIRE_VARINT, at);
        accepted.push(r.uint32(f));
      }
    } else {
      r.skip('ReadRequest', wt, fieldNo);
    }
  }
  return { queries, acceptedResponseTypes: accepted };
}

function readQuery(r: ProtoReader, end: number): ReadQuery {
  const outer = r.end;
  r.end = end;
  let startMs = 0;
  let endMs = 0;
  const matchers: RawMatcher[] = [];
  let hints: ReadHints | null = null;
  while (r.pos < end) {
    const at = r.pos;
    const t = r.tag('ReadRequest.queries');
    const fieldNo = t >>> 3;
    const wt = t & 7;
    switch (fieldNo) {
      case 1:
        r.expect('ReadRequest.queries.start_timestamp_ms', wt, WIRE_VARINT, at);
        startMs = r.int64('ReadRequest.queries.start_timestamp_ms');
        break;
      case 2:
        r.expect('ReadRequest.queries.end_timestamp_ms', wt, WIRE_VARINT, at);
        endMs = r.int64('ReadRequest.queries.end_timestamp_ms');
        break;
      case 3:
        r.expect('ReadRequest.queries.matchers', wt, WIRE_LEN, at);
        matchers.push(readMatcher(r, r.lenEnd('ReadRequest.queries.matchers')));
        break;
      case 4:
        r.expect('ReadRequest.queries.hints', wt, WIRE_LEN, at);
        hints = readHints(r, r.lenEnd('ReadRequest.queries.hints'));
        break;
      default:
        r.skip('ReadRequest.queries', wt, fieldNo);
    }
  }
  r.end = outer;
  return { startMs, endMs, matchers, hints };
}

function readMatcher(r: ProtoReader, end: number): RawMatcher {
  const outer = r.end;
  r.end = end;
  const f = 'ReadRequest.queries.matchers';
  let type = 0;
  let typeAt = r.pos;
  let name = '';
  let value = '';
  while (r.pos < end) {
    const at = r.pos;
    const t = r.tag(f);
    const fieldNo = t >>> 3;
    const wt = t & 7;
    if (fieldNo === 1) {
      r.expect(`${f}.type`, wt, WIRE_VARINT, at);
      typeAt = r.pos;
      type = r.uint32(`${f}.type`);
    } else if (fieldNo === 2) {
      r.expect(`${f}.name`, wt, WIRE_LEN, at);
      name = r.string(`${f}.name`, r.lenEnd(`${f}.name`));
    } else if (fieldNo === 3) {
      r.expect(`${f}.value`, wt, WIRE_LEN, at);
      value = r.string(`${f}.value`, r.lenEnd(`${f}.value`));
    } else {
      r.skip(f, wt, fieldNo);
    }
  }
  const mt = MATCH_TYPES[type];
  if (mt === undefined) r.fail(`${f}.type`, `unknown matcher type ${type}`, typeAt);
  r.end = outer;
  return { type: mt, name, value };
}

function readHints(r: ProtoReader, end: number): ReadHints {
  const outer = r.end;
  r.end = end;
  const f = 'ReadRequest.queries.hints';
  let stepMs = 0;
  let func = '';
  let startMs = 0;
  let endMs = 0;
  const grouping: string[] = [];
  let by = false;
  let rangeMs = 0;
  while (r.pos < end) {
    const at = r.pos;
    const t = r.tag(f);
    const fieldNo = t >>> 3;
    const wt = t & 7;
    switch (fieldNo) {
      case 1:
        r.expect(`${f}.step_ms`, wt, WIRE_VARINT, at);
        stepMs = r.int64(`${f}.step_ms`);
        break;
      case 2:
        r.expect(`${f}.func`, wt, WIRE_LEN, at);
        func = r.string(`${f}.func`, r.lenEnd(`${f}.func`));
        break;
      case 3:
        r.expect(`${f}.start_ms`, wt, WIRE_VARINT, at);
        startMs = r.int64(`${f}.start_ms`);
        break;
      case 4:
        r.expect(`${f}.end_ms`, wt, WIRE_VARINT, at);
        endMs = r.int64(`${f}.end_ms`);
        break;
      case 5:
        r.expect(`${f}.grouping`, wt, WIRE_LEN, at);
        grouping.push(r.string(`${f}.grouping`, r.lenEnd(`${f}.grouping`)));
        break;
      case 6:
        r.expect(`${f}.by`, wt, WIRE_VARINT, at);
        by = r.bool(`${f}.by`);
        break;
      case 7:
        r.expect(`${f}.range_ms`, wt, WIRE_VARINT, at);
        rangeMs = r.int64(`${f}.range_ms`);
        break;
      default:
        r.skip(f, wt, fieldNo);
    }
  }
  r.end = outer;
  return { stepMs, func, startMs, endMs, grouping, by, rangeMs };
}

/** Compiles a query's matchers; an invalid regex becomes a 400 naming the matcher. */
export function compileMatchers(q: ReadQuery): Matcher[] {
  return q.matchers.map((m) => {
    try {
      return newMatcher(m.type, m.name, m.value);
    } catch (err) {
      throw new StoreError('REMOTE_DECODE', 400, `Invalid matcher in remote read query: ${(err as Error).message}`, { cause: err });
    }
  });
}

export interface ReadQueryInput {
  readonly startMs: number;
  readonly endMs: number;
  readonly matchers: readonly RawMatcher[];
  readonly hints?: ReadHints | null;
}

/** Encodes a ReadRequest (for remote-read clients and tests). */
export function encodeReadRequest(req: { queries: readonly ReadQueryInput[]; acceptedResponseTypes?: readonly number[] }): Uint8Array {
  const w = new ProtoWriter(256);
  for (const q of req.queries) {
    const qa = w.fork(1);
    if (q.startMs !== 0) {
      w.tag(1, WIRE_VARINT);
      w.int64(q.startMs);
    }
    if (q.endMs !== 0) {
      w.tag(2, WIRE_VARINT);
      w.int64(q.endMs);
    }
    for (const m of q.matchers) {
      const ma = w.fork(3);
      const type = MATCH_TYPES.indexOf(m.type);
      if (type < 0) throw new RangeError(`Unknown matcher type: ${JSON.stringify(m.type)}`);
      if (type !== 0) {
        w.tag(1, WIRE_VARINT);
        w.uint32(type);
      }
      if (m.name !== '') w.stringField(2, m.name);
      if (m.value !== '') w.stringField(3, m.value);
      w.join(ma);
    }
    const h = q.hints;
    if (h) {
      const ha = w.fork(4);
      const ints: [number, number][] = [[1, h.stepMs], [3, h.startMs], [4, h.endMs], [7, h.rangeMs]];
      if (h.func !== '') w.stringField(2, h.func);
      for (const g of h.grouping) w.stringField(5, g);
      if (h.by) {
        w.tag(6, WIRE_VARINT);
        w.uint32(1);
      }
      for (const [no, v] of ints) {
        if (v !== 0) {
          w.tag(no, WIRE_VARINT);
          w.int64(v);
        }
      }
      w.join(ha);
    }
    w.join(qa);
  }
  const acc = req.acceptedResponseTypes ?? [];
  if (acc.length > 0) {
    const at = w.fork(2);
    for (const t of acc) w.uint32(t);
    w.join(at);
  }
  return w.finish();
}
