/**
 * `npm run cluster`: the launcher starts N nodes on the documented ports, they form one ring, their
 * output is prefixed per node, and SIGINT stops every node gracefully.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { createServer } from 'node:net';
import { after, test } from 'node:test';
import { REPO_ROOT, removeDir, spawnChild, tempDir, waitFor, type ChildHandle } from '../e2e/harness.ts';

let launcher: ChildHandle | undefined;
let dir: string | undefined;
after(async () => {
  launcher?.kill('SIGKILL');
  await launcher?.exited;
  if (dir) await removeDir(dir);
});

async function portFree(port: number): Promise<boolean> {
  const tcp = await new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
  if (!tcp) return false;
  return new Promise<boolean>((resolve) => {
    const u = dgram.createSocket('udp4');
    u.once('error', () => resolve(false));
    u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
  });
}

/** A base port whose HTTP (base, base+1) and gossip (base+100, base+101) ports are all free. */
async function freeBase(): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const ok = await Promise.all([base, base + 1, base + 100, base + 101].map(portFree));
    if (ok.every(Boolean)) return base;
  }
  throw new Error('No free port range for the launcher');
}

test('npm run cluster starts two nodes that form one ring and stops them on SIGINT', { timeout: 60_000 }, async () => {
  dir = await tempDir('launch');
  const base = await freeBase();
  launcher = spawnChild(process.execPath, ['--import', 'tsx', 'node/cluster/launch.ts', '--nodes', '2', '--base-port', String(base), '--data-dir', dir], { cwd: REPO_ROOT });
  const urls = [`http://127.0.0.1:${base}`, `http://127.0.0.1:${base + 1}`];
  await waitFor(
    async () => {
      const views = await Promise.all(urls.map(async (u) => (await (await fetch(`${u}/ring?format=json`)).json()) as { instances: { id: string; state: string }[] }));
      return views.every((v) => v.instances.filter((i) => i.state === 'ACTIVE').map((i) => i.id).sort().join() === 'node-0,node-1');
    },
    30_000,
    () => `two ACTIVE nodes; launcher output:\n${launcher!.output()}`,
  );
  const members = (await (await fetch(`${urls[1]}/memberlist`)).json()) as { members: { name: string; addr: string }[] };
  assert.deepEqual(members.members.map((m) => [m.name, m.addr]), [['node-0', `127.0.0.1:${base + 100}`], ['node-1', `127.0.0.1:${base + 101}`]]);

  launcher.kill('SIGINT');
  const exit = await launcher.exited;
  assert.deepEqual(exit, { code: 0, signal: null }, launcher.output());
  const out = launcher.output();
  assert.match(out, /^\[node-0\] frankenstein: cluster: instance "node-0" is LEFT$/m);
  assert.match(out, /^\[node-1\] frankenstein: cluster: instance "node-1" is LEFT$/m);
});
