/**
 * S3 backend through @aws-sdk/client-s3: AWS, MinIO or any S3-compatible
 * server. The SDK's own retries are off by default (maxAttempts 1) because
 * RetryingBucket owns retry policy; errors are mapped to store codes here.
 */
import {
  S3Client,
  PutObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  ListObjectsCommand,
  CreateBucketCommand,
  HeadBucketCommand,
} from '@aws-sdk/client-s3';
import { assertValidKey, assertValidPrefix, compareKeys, type Bucket, type BucketSupports, type PutOptions, type ObjectInfo } from './bucket.ts';
import { storageError, type StorageError } from './errors.ts';
import { checkRange } from './memory-bucket.ts';

export interface S3BucketConfig {
  /** Bucket name. */
  bucket: string;
  /** Endpoint URL for MinIO/S3-compatible servers; unset = AWS for the region. @default undefined */
  endpoint?: string;
  /** @default 'us-east-1' */
  region?: string;
  /** Static credentials; unset = the SDK's default provider chain (env, profile, IMDS). @default undefined */
  accessKeyId?: string;
  /** @default undefined */
  secretAccessKey?: string;
  /** @default undefined */
  sessionToken?: string;
  /** Path-style URLs (http://host/bucket/key), needed by MinIO and most self-hosted servers. @default false */
  forcePathStyle?: boolean;
  /**
   * The server honours `If-None-Match: *` on PUT (AWS since 2024, recent MinIO). When false,
   * callers fall back to exists-then-put. @default true
   */
  conditionalPut?: boolean;
  /** Keys per listing page. @default 1000 */
  listPageSize?: number;
  /**
   * ListObjects API version: 2 pages with continuation tokens; 1 pages with the last key as
   * marker (for old or emulated servers, e.g. s3rver, whose v2 tokens need a cipher
   * OpenSSL 3 no longer ships). @default 2
   */
  listApiVersion?: 1 | 2;
  /** Create the bucket on first use when it does not exist (dev and tests). @default false */
  createBucket?: boolean;
  /** Attempts made by the SDK itself; RetryingBucket usually owns retries. @default 1 */
  sdkMaxAttempts?: number;
}

export class S3Bucket implements Bucket {
  readonly supports: BucketSupports;
  #client: S3Client;
  #bucket: string;
  #pageSize: number;
  #listV1: boolean;
  #createBucket: boolean;
  #ready: Promise<void> | undefined;
  #closed = false;

  constructor(config: S3BucketConfig) {
    this.#bucket = config.bucket;
    this.#pageSize = config.listPageSize ?? 1000;
    this.#listV1 = config.listApiVersion === 1;
    this.#createBucket = config.createBucket ?? false;
    this.supports = { conditionalPut: config.conditionalPut ?? true, getRange: true };
    this.#client = new S3Client({
      region: config.region ?? 'us-east-1',
      forcePathStyle: config.forcePathStyle ?? false,
      maxAttempts: config.sdkMaxAttempts ?? 1,
      ...(config.endpoint !== undefined ? { endpoint: config.endpoint } : {}),
      ...(config.accessKeyId !== undefined && config.secretAccessKey !== undefined
        ? {
            credentials: {
              accessKeyId: config.accessKeyId,
              secretAccessKey: config.secretAccessKey,
              ...(config.sessionToken !== undefined ? { sessionToken: config.sessionToken } : {}),
            },
          }
        : {}),
    });
  }

  async put(key: string, bytes: Uint8Array, options?: PutOptions): Promise<void> {
    assertValidKey(key);
    await this.#init();
    try {
      await this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          Body: bytes,
          ContentLength: bytes.length,
          ...(options?.ifNoneMatch === '*' && this.supports.conditionalPut ? { IfNoneMatch: '*' } : {}),
        }),
      );
    } catch (err) {
      const status = httpStatusOf(err);
      if (status === 412 || status === 409) throw storageError('STORE_OBJECT_EXISTS', `Object already exists: ${JSON.stringify(key)}`, err);
      throw mapS3Error(`Failed to put object ${JSON.stringify(key)} in S3 bucket ${JSON.stringify(this.#bucket)}`, err);
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    assertValidKey(key);
    await this.#init();
    try {
      const res = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
      return await res.Body!.transformToByteArray();
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw mapS3Error(`Failed to get object ${JSON.stringify(key)} from S3 bucket ${JSON.stringify(this.#bucket)}`, err);
    }
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array | undefined> {
    assertValidKey(key);
    checkRange(offset, length);
    await this.#init();
    if (length === 0) return (await this.exists(key)) ? new Uint8Array(0) : undefined;
    try {
      const res = await this.#client.send(
        new GetObjectCommand({ Bucket: this.#bucket, Key: key, Range: `bytes=${offset}-${offset + length - 1}` }),
      );
      return await res.Body!.transformToByteArray();
    } catch (err) {
      if (isNotFound(err)) return undefined;
      // 416: the offset is at or past the end; the contract says empty.
      if (httpStatusOf(err) === 416) return new Uint8Array(0);
      throw mapS3Error(`Failed to get range of object ${JSON.stringify(key)} from S3 bucket ${JSON.stringify(this.#bucket)}`, err);
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    assertValidKey(key);
    await this.#init();
    try {
      const res = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      return { size: res.ContentLength ?? 0 };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw mapS3Error(`Failed to head object ${JSON.stringify(key)} in S3 bucket ${JSON.stringify(this.#bucket)}`, err);
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== undefined;
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    await this.#init();
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
    } catch (err) {
      if (isNotFound(err)) return;
      throw mapS3Error(`Failed to delete object ${JSON.stringify(key)} from S3 bucket ${JSON.stringify(this.#bucket)}`, err);
    }
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    for (const k of keys) assertValidKey(k);
    await this.#init();
    // DeleteObjects takes at most 1,000 keys; Quiet mode answers only with the failures.
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      let out;
      try {
        out = await this.#client.send(new DeleteObjectsCommand({ Bucket: this.#bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
      } catch (err) {
        throw mapS3Error(`Failed to delete ${batch.length} objects from S3 bucket ${JSON.stringify(this.#bucket)}`, err);
      }
      const failed = (out.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length > 0) {
        const first = failed[0]!;
        throw storageError(
          'STORE_UNAVAILABLE',
          `Failed to delete ${failed.length} of ${batch.length} objects from S3 bucket ${JSON.stringify(this.#bucket)}: first ${JSON.stringify(first.Key)}: ${first.Code ?? 'error'} ${first.Message ?? ''}`.trim(),
        );
      }
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    assertValidPrefix(prefix);
    await this.#init();
    let token: string | undefined;
    let marker: string | undefined;
    for (;;) {
      let keys: string[];
      let truncated: boolean;
      try {
        if (this.#listV1) {
          const res = await this.#client.send(
            new ListObjectsCommand({ Bucket: this.#bucket, Prefix: prefix, MaxKeys: this.#pageSize, ...(marker !== undefined ? { Marker: marker } : {}) }),
          );
          keys = (res.Contents ?? []).flatMap((o) => (o.Key !== undefined ? [o.Key] : []));
          truncated = res.IsTruncated === true && keys.length > 0;
        } else {
          const res = await this.#client.send(
            new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: prefix, MaxKeys: this.#pageSize, ...(token !== undefined ? { ContinuationToken: token } : {}) }),
          );
          keys = (res.Contents ?? []).flatMap((o) => (o.Key !== undefined ? [o.Key] : []));
          token = res.IsTruncated ? res.NextContinuationToken : undefined;
          truncated = token !== undefined;
        }
      } catch (err) {
        throw mapS3Error(`Failed to list prefix ${JSON.stringify(prefix)} of S3 bucket ${JSON.stringify(this.#bucket)}`, err);
      }
      // S3 lists in byte order already; some emulators order a key before the keys it is a
      // prefix of only within a page, so sort each page (cheap, and a no-op on AWS).
      keys.sort(compareKeys);
      yield* keys;
      if (!truncated) return;
      marker = keys[keys.length - 1];
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#client.destroy();
  }

  #init(): Promise<void> {
    if (this.#closed) return Promise.reject(storageError('STORE_CLOSED', `S3 bucket ${JSON.stringify(this.#bucket)} is closed`));
    if (!this.#createBucket) return Promise.resolve();
    this.#ready ??= (async () => {
      try {
        await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }));
      } catch (err) {
        if (!isNotFound(err)) throw mapS3Error(`Failed to check S3 bucket ${JSON.stringify(this.#bucket)}`, err);
        try {
          await this.#client.send(new CreateBucketCommand({ Bucket: this.#bucket }));
        } catch (err2) {
          const name = (err2 as Error).name;
          if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') {
            throw mapS3Error(`Failed to create S3 bucket ${JSON.stringify(this.#bucket)}`, err2);
          }
        }
      }
    })().catch((err) => {
      this.#ready = undefined; // let the next call try again
      throw err;
    });
    return this.#ready;
  }
}

function httpStatusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function isNotFound(err: unknown): boolean {
  const name = (err as Error)?.name;
  return httpStatusOf(err) === 404 || name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchBucket';
}

const TRANSIENT_NAMES = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestTimeout', 'RequestTimeTooSkewed', 'InternalError', 'ServiceUnavailable', 'TimeoutError']);
const TRANSIENT_NET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET']);

export function mapS3Error(action: string, err: unknown): StorageError {
  const status = httpStatusOf(err);
  const name = (err as Error)?.name ?? '';
  const code = (err as NodeJS.ErrnoException)?.code ?? '';
  const transient =
    (status !== undefined && (status >= 500 || status === 429 || status === 408)) ||
    TRANSIENT_NAMES.has(name) ||
    TRANSIENT_NET_CODES.has(code) ||
    (status === undefined && name !== 'TypeError'); // no HTTP answer at all: network trouble
  return storageError(transient ? 'STORE_UNAVAILABLE' : 'STORE_BACKEND_ERROR', `${action}: ${name}${status !== undefined ? ` (HTTP ${status})` : ''}: ${(err as Error)?.message ?? String(err)}`, err);
}
