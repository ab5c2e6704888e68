/**
 * Scopes a bucket to one tenant: every key becomes "<tenant>/<key>". The tenant
 * ID is validated (tenant-id.ts) and keys are validated (no "." / ".." segments),
 * so no tenant ID or key can reach outside "<tenant>/".
 */
import { assertValidKey, assertValidPrefix, type Bucket, type BucketSupports, type PutOptions, type ObjectInfo } from './bucket.ts';
import { assertValidTenantId } from './tenant-id.ts';

export class TenantBucket implements Bucket {
  readonly tenant: string;
  #inner: Bucket;
  #prefix: string;

  constructor(inner: Bucket, tenant: string) {
    assertValidTenantId(tenant);
    this.#inner = inner;
    this.tenant = tenant;
    this.#prefix = tenant + '/';
  }

  get supports(): BucketSupports {
    return this.#inner.supports;
  }

  #key(key: string): string {
    assertValidKey(key);
    return this.#prefix + key;
  }

  async put(key: string, bytes: Uint8Array, options?: PutOptions): Promise<void> {
    return await this.#inner.put(this.#key(key), bytes, options);
  }
  async get(key: string): Promise<Uint8Array | undefined> {
    return await this.#inner.get(this.#key(key));
  }
  async getRange(key: string, offset: number, length: number): Promise<Uint8Array | undefined> {
    return await this.#inner.getRange(this.#key(key), offset, length);
  }
  async head(key: string): Promise<ObjectInfo | undefined> {
    return await this.#inner.head(this.#key(key));
  }
  async exists(key: string): Promise<boolean> {
    return await this.#inner.exists(this.#key(key));
  }
  async delete(key: string): Promise<void> {
    return await this.#inner.delete(this.#key(key));
  }
  async deleteMany(keys: readonly string[]): Promise<void> {
    return await this.#inner.deleteMany(keys.map((k) => this.#key(k)));
  }
  async *list(prefix: string): AsyncIterable<string> {
    assertValidPrefix(prefix);
    for await (const k of this.#inner.list(this.#prefix + prefix)) yield k.slice(this.#prefix.length);
  }
  /** The inner bucket is shared by all tenants and owned by whoever made it: closing a view does nothing. */
  async close(): Promise<void> {}
}
