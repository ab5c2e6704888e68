/**
 * Local-filesystem bucket, the embedded default. Layout under `dir`:
 *   objects/<seg>/<seg>/<last-seg>@   one file per object
 *   tmp/                               partially written objects
 * Each key segment is percent-encoded (encodeURIComponent), which never emits
 * '@'; object files alone end in '@', so key "a" (file "a@") and key "a/b"
 * (directory "a") can coexist as they do in S3. Writes go to tmp/ and are
 * renamed into place, so readers never see a torn object; a create-only put
 * uses link(), which fails atomically when the target exists.
 */
import { readFile as readFileCallback } from 'node:fs';
import { mkdir, open, readdir, rename, link, unlink, rmdir, stat, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { assertValidKey, assertValidPrefix, compareKeys, type Bucket, type BucketSupports, type PutOptions, type ObjectInfo } from './bucket.ts';
import { storageError } from './errors.ts';
import { checkRange } from './memory-bucket.ts';
import { mapLimit } from './map-limit.ts';

export interface LocalBucketConfig {
  /** Root directory; created when absent. */
  dir: string;
  /**
   * fsync each object before renaming it into place (durability across power loss).
   * @default true
   */
  fsync?: boolean;
}

const FILE_SUFFIX = '@';

export class LocalBucket implements Bucket {
  readonly supports: BucketSupports = { conditionalPut: true, getRange: true };
  #objects: string;
  #tmp: string;
  #fsync: boolean;
  #ready: Promise<void> | undefined;
  #closed = false;

  constructor(config: LocalBucketConfig) {
    this.#objects = join(config.dir, 'objects');
    this.#tmp = join(config.dir, 'tmp');
    this.#fsync = config.fsync ?? true;
  }

  async put(key: string, bytes: Uint8Array, options?: PutOptions): Promise<void> {
    await this.#init();
    assertValidKey(key);
    const dest = this.#path(key);
    const tmp = join(this.#tmp, randomBytes(12).toString('hex'));
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(bytes);
      if (this.#fsync) await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      // A concurrent delete may remove the (then empty) parent between mkdir and rename: retry a few times.
      for (let attempt = 0; ; attempt++) {
        await mkdir(dirOf(dest), { recursive: true });
        try {
          if (options?.ifNoneMatch === '*') await link(tmp, dest);
          else await rename(tmp, dest);
          break;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'EEXIST') throw storageError('STORE_OBJECT_EXISTS', `Object already exists: ${JSON.stringify(key)}`);
          if (code !== 'ENOENT' || attempt >= 3) throw wrapFsError(`Failed to write object ${JSON.stringify(key)}`, err);
        }
      }
    } finally {
      await unlink(tmp).catch(() => {});
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    await this.#init();
    assertValidKey(key);
    try {
      const b = await readWholeFile(this.#path(key));
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw wrapFsError(`Failed to read object ${JSON.stringify(key)}`, err);
    }
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array | undefined> {
    await this.#init();
    assertValidKey(key);
    checkRange(offset, length);
    let fh;
    try {
      fh = await open(this.#path(key), 'r');
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw wrapFsError(`Failed to open object ${JSON.stringify(key)}`, err);
    }
    try {
      const { size } = await fh.stat();
      const n = Math.max(0, Math.min(length, size - offset));
      const out = new Uint8Array(n);
      let done = 0;
      while (done < n) {
        const { bytesRead } = await fh.read(out, done, n - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === n ? out : out.subarray(0, done);
    } finally {
      await fh.close();
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    await this.#init();
    assertValidKey(key);
    try {
      const s = await stat(this.#path(key));
      return { size: s.size };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw wrapFsError(`Failed to stat object ${JSON.stringify(key)}`, err);
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== undefined;
  }

  async delete(key: string): Promise<void> {
    await this.#init();
    assertValidKey(key);
    const p = this.#path(key);
    try {
      await unlink(p);
    } catch (err) {
      if (isMissing(err)) return;
      throw wrapFsError(`Failed to delete object ${JSON.stringify(key)}`, err);
    }
    await this.#removeEmptyParents(dirOf(p));
  }

  /** Drops empty directories from `dir` up, so listings stay cheap; failure (not empty, raced) is fine. */
  async #removeEmptyParents(dir: string): Promise<void> {
    while (dir.length > this.#objects.length) {
      try {
        await rmdir(dir);
      } catch {
        return;
      }
      dir = dirOf(dir);
    }
  }

  /** Unlinks every key, then tries each distinct parent directory once (not once per key). */
  async deleteMany(keys: readonly string[]): Promise<void> {
    await this.#init();
    for (const k of keys) assertValidKey(k);
    const parents = new Set<string>();
    await mapLimit(keys, 16, async (key) => {
      const p = this.#path(key);
      try {
        await unlink(p);
        parents.add(dirOf(p));
      } catch (err) {
        if (!isMissing(err)) throw wrapFsError(`Failed to delete object ${JSON.stringify(key)}`, err);
      }
    });
    for (const parent of parents) await this.#removeEmptyParents(parent);
  }

  async *list(prefix: string): AsyncIterable<string> {
    await this.#init();
    assertValidPrefix(prefix);
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash < 0 ? '' : prefix.slice(0, slash + 1);
    const startDir = dirKey === '' ? this.#objects : join(this.#objects, ...dirKey.slice(0, -1).split('/').map(encodeURIComponent));
    const keys: string[] = [];
    await walk(startDir, dirKey, prefix, keys);
    keys.sort(compareKeys);
    yield* keys;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  /** Removes the whole bucket directory (tests and tenant deletion tooling). */
  async destroy(): Promise<void> {
    this.#closed = true;
    await rm(dirOf(this.#objects), { recursive: true, force: true });
  }

  #init(): Promise<void> {
    if (this.#closed) return Promise.reject(storageError('STORE_CLOSED', 'Local bucket is closed'));
    this.#ready ??= (async () => {
      await mkdir(this.#objects, { recursive: true });
      await mkdir(this.#tmp, { recursive: true });
    })();
    return this.#ready;
  }

  #path(key: string): string {
    const segs = key.split('/').map(encodeURIComponent);
    segs[segs.length - 1] += FILE_SUFFIX;
    return join(this.#objects, ...segs);
  }
}

async function walk(dir: string, keyPrefix: string, filter: string, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isMissing(err) || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return;
    throw wrapFsError(`Failed to list directory ${JSON.stringify(dir)}`, err);
  }
  for (const e of entries) {
    if (e.isDirectory()) {
      const k = keyPrefix + decodeURIComponent(e.name) + '/';
      // Descend only where keys can still match the prefix.
      if (k.startsWith(filter) || filter.startsWith(k)) await walk(join(dir, e.name), k, filter, out);
    } else if (e.name.endsWith(FILE_SUFFIX)) {
      const k = keyPrefix + decodeURIComponent(e.name.slice(0, -FILE_SUFFIX.length));
      if (k.startsWith(filter)) out.push(k);
    }
  }
}

function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? p : p.slice(0, i);
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function wrapFsError(action: string, err: unknown) {
  const code = (err as NodeJS.ErrnoException)?.code;
  // Resource exhaustion may clear up; everything else is a real fault.
  const transient = code === 'EMFILE' || code === 'ENFILE' || code === 'EAGAIN' || code === 'EBUSY';
  return storageError(transient ? 'STORE_UNAVAILABLE' : 'STORE_BACKEND_ERROR', `${action}: ${(err as Error).message}`, err);
}

/**
 * fs.readFile through its callback API: on Node 20 it reads small files 3-5x faster
 * than fs/promises' readFile (measured on 10,000 150-byte chunk objects: ~120 ms vs
 * ~500 ms), and a store query reads one file per chunk.
 */
function readWholeFile(path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => readFileCallback(path, (err, data) => (err ? reject(err) : resolve(data))));
}
