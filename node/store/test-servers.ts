/**
 * TEST ONLY. Starts real S3- and DynamoDB-compatible servers in-process on
 * 127.0.0.1 with an OS-assigned port: s3rver (in a temp dir) and dynalite (in
 * memory). Neither ships type declarations, so they are loaded through
 * createRequire with the small typed surface used here.
 */
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const require = createRequire(import.meta.url);

export interface TestServer {
  endpoint: string;
  close(): Promise<void>;
}

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}

export async function startS3rver(): Promise<TestServer> {
  const S3rver = require('s3rver') as new (opts: object) => S3rverInstance;
  const dir = mkdtempSync(join(tmpdir(), 'frank-s3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', directory: dir, silent: true });
  const addr = await server.run();
  return {
    endpoint: `http://127.0.0.1:${addr.port}`,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startDynalite(): Promise<TestServer> {
  const dynalite = require('dynalite') as (opts: object) => Server;
  // createTableMs 0: tables are ACTIVE at once.
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
