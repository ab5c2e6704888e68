/**
 * Test-only reference decoder: protobufjs with a schema written from the field tables in
 * shared/spec/remote-write.md, used to check our hand-written encoder.
 */
import protobuf from 'protobufjs';

const SCHEMA = `
syntax = "proto3";
package bench;
message WriteRequest { repeated TimeSeries timeseries = 1; }
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; }
message Label { string name = 1; string value = 2; }
message Sample { double value = 1; int64 timestamp = 2; }
`;

export interface DecodedSeries {
  labels: { name: string; value: string }[];
  samples: { value: number; timestamp: number }[];
}

const writeRequestType = protobuf.parse(SCHEMA).root.lookupType('bench.WriteRequest');

export function decodeWriteRequest(bytes: Uint8Array): DecodedSeries[] {
  const msg = writeRequestType.toObject(writeRequestType.decode(bytes), { longs: Number, defaults: true, arrays: true }) as {
    timeseries: DecodedSeries[];
  };
  return msg.timeseries;
}
