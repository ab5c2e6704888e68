import { bucketSuite } from './bucket.conformance.ts';
import { MemoryBucket } from './memory-bucket.ts';
import { TenantBucket } from './tenant-bucket.ts';
import { RetryingBucket } from './retrying-bucket.ts';
import { FaultyBucket } from './faulty-bucket.ts';

const full = { conditionalPut: true, getRange: true };

bucketSuite('MemoryBucket', async () => new MemoryBucket(), full);

bucketSuite('TenantBucket over MemoryBucket', async () => new TenantBucket(new MemoryBucket(), 'tenant-1'), full);

// Faults that fail before applying keep every contract, including create-only puts,
// as long as the retries absorb them.
let seed = 1;
bucketSuite(
  'RetryingBucket over FaultyBucket (30% HTTP 503) over MemoryBucket',
  async () => new RetryingBucket(new FaultyBucket(new MemoryBucket(), { seed: seed++, unavailable: 0.3 }), { maxRetries: 30, minBackoffMs: 1, maxBackoffMs: 4 }),
  full,
);
