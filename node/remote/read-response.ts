/**
 * prometheus.ReadResponse with the SAMPLES response type: encoder for the
 * server, decoder for clients and tests.
 *
 * Content negotiation: we always answer SAMPLES (Content-Type
 * application/x-protobuf, Content-Encoding snappy), even when the client
 * lists only STREAMED_XOR_CHUNKS. Prometheus picks the decoding from the
 * response Content-Type, so it accepts a sampled answer to a streamed request.
 */
import { RemoteDecodeError } from './errors.ts';
import { ProtoReader, WIRE_LEN } from './proto-reader.ts';
import { ProtoWriter } from './proto-writer.ts';
import type { SeriesInput } from './types.ts';
import { writeTimeSeries } from './write-request-encoder.ts';
import { decodeWriteRequest, type DecodedSeries } from './write-request-decoder.ts';

/** Response headers of a SAMPLES remote-read answer. */
export const READ_RESPONSE_HEADERS = {
  'Content-Type': 'application/x-protobuf',
  'Content-Encoding': 'snappy',
} as const;

export interface QueryResultInput {
  readonly series: readonly SeriesInput[];
}

/** Encodes a ReadResponse: one QueryResult per query, in query order. */
export function encodeReadResponse(results: readonly QueryResultInput[]): Uint8Array {
  const w = new ProtoWriter(1024);
  for (const res of results) {
    const ra = w.fork(1);
    for (const s of res.series) {
      const sa = w.fork(1);
      writeTimeSeries(w, s);
      w.join(sa);
    }
    w.join(ra);
  }
  return w.finish();
}

export interface DecodedQueryResult {
  readonly series: DecodedSeries[];
}

/** Decodes a ReadResponse (SAMPLES). Throws RemoteDecodeError on malformed input. */
export function decodeReadResponse(buf: Uint8Array): DecodedQueryResult[] {
  const r = new ProtoReader(buf);
  const out: DecodedQueryResult[] = [];
  while (r.pos < r.end) {
    const at = r.pos;
    const t = r.tag('ReadResponse');
    const fieldNo = t >>> 3;
    const wt = t & 7;
    if (fieldNo !== 1) {
      r.skip('ReadResponse', wt, fieldNo);
      continue;
    }
    r.expect('ReadResponse.results', wt, WIRE_LEN, at);
    const e = r.lenEnd('ReadResponse.results');
    const start = r.pos;
    r.pos = e;
    // QueryResult has the same layout as WriteRequest field 1 (repeated TimeSeries timeseries = 1).
    try {
      out.push({ series: decodeWriteRequest(buf.subarray(start, e)).series });
    } catch (err) {
      if (err instanceof RemoteDecodeError) {
        throw new RemoteDecodeError(err.field.replace(/^WriteRequest/, 'ReadResponse.results'), start + err.offset, err.detail);
      }
      throw err;
    }
  }
  return out;
}
