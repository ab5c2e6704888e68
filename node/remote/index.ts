/** Public API of the remote-write / remote-read wire codecs (see FORMAT.md). */
export { RemoteDecodeError, SnappyError, REMOTE_ERROR_CODES, type RemoteErrorCode } from './errors.ts';
export { uncompressSnappy, compressSnappy, snappyDecodedLength, DEFAULT_MAX_UNCOMPRESSED_BYTES } from './snappy.ts';
export { decodeWriteRequest, type DecodedWriteRequest, type DecodedSeries, type WriteRequestDecodeOptions } from './write-request-decoder.ts';
export { encodeWriteRequest, type WriteRequestInput } from './write-request-encoder.ts';
export {
  decodeReadRequest,
  encodeReadRequest,
  compileMatchers,
  RESPONSE_TYPE_SAMPLES,
  RESPONSE_TYPE_STREAMED_XOR_CHUNKS,
  type DecodedReadRequest,
  type ReadQuery,
  type ReadQueryInput,
  type ReadHints,
  type RawMatcher,
} from './read-request.ts';
export { encodeReadResponse, decodeReadResponse, READ_RESPONSE_HEADERS, type QueryResultInput, type DecodedQueryResult } from './read-response.ts';
export { METRIC_TYPE_NAMES, type MetricTypeName, type MetricMetadata, type SeriesInput, type ExemplarInput } from './types.ts';

import { uncompressSnappy, DEFAULT_MAX_UNCOMPRESSED_BYTES } from './snappy.ts';
import { decodeWriteRequest, type DecodedWriteRequest } from './write-request-decoder.ts';

/**
 * Snappy-uncompresses and decodes a remote-write 1.0 body. Throws SnappyError
 * (400/413) or RemoteDecodeError (400).
 */
export function decodeRemoteWriteBody(body: Uint8Array, maxUncompressedBytes = DEFAULT_MAX_UNCOMPRESSED_BYTES): DecodedWriteRequest {
  return decodeWriteRequest(uncompressSnappy(body, maxUncompressedBytes));
}
