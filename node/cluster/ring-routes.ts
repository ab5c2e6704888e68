/**
 * Status pages of cluster mode, like Cortex's ring page and Mimir's /memberlist:
 *   GET  /ring          JSON (Accept: application/json or ?format=json) or an HTML table with a Forget
 *                       button per unhealthy instance
 *   POST /ring/forget   form id=<instance>: 404 unknown, 409 healthy; HTML callers are redirected to /ring
 *   GET  /memberlist    JSON, or HTML when the client accepts text/html
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Member } from '../../gossip/node-state.ts';
import type { InstanceInfo } from '../../gossip/ring/ring.ts';
import { ClusterError } from './errors.ts';

export interface RingRoutesDeps {
  instances(): InstanceInfo[];
  members(): Member[];
  /** Throws ClusterError 404/409. */
  forget(id: string): void;
}

export interface RingInstanceJson {
  id: string;
  addr: string;
  zone: string;
  state: string;
  tokens: number[];
  ownership: number;
  /** ISO 8601 time of the instance's last heartbeat. */
  lastHeartbeat: string;
  healthy: boolean;
}

function wantsJson(req: FastifyRequest): boolean {
  const q = req.query as Record<string, unknown> | undefined;
  if (q?.['format'] === 'json') return true;
  if (q?.['format'] === 'html') return false;
  const accept = req.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}
tr.unhealthy{background:#fdd}</style></head><body><h1>${esc(title)}</h1>${body}</body></html>`;
}

export function ringJson(instances: InstanceInfo[]): { instances: RingInstanceJson[] } {
  return {
    instances: instances.map((i) => ({
      id: i.id,
      addr: i.addr,
      zone: i.zone,
      state: i.state,
      tokens: Array.from(i.tokens),
      ownership: i.ownership,
      lastHeartbeat: new Date(i.heartbeatMs).toISOString(),
      healthy: i.healthy,
    })),
  };
}

export function registerRingRoutes(app: FastifyInstance, deps: RingRoutesDeps): void {
  app.get('/ring', async (req, reply) => {
    const list = deps.instances();
    if (wantsJson(req)) return reply.type('application/json').send(ringJson(list));
    const now = Date.now();
    const rows = list
      .map((i) => {
        const ago = ((now - i.heartbeatMs) / 1000).toFixed(1);
        const forget = i.healthy
          ? ''
          : `<form method="post" action="/ring/forget"><input type="hidden" name="id" value="${esc(i.id)}"><button type="submit">Forget</button></form>`;
        return `<tr class="${i.healthy ? 'healthy' : 'unhealthy'}"><td>${esc(i.id)}</td><td>${esc(i.addr)}</td><td>${esc(i.zone)}</td><td>${esc(i.state)}</td>` +
          `<td>${i.healthy ? 'healthy' : 'UNHEALTHY'}</td><td>${ago}s ago</td><td>${i.tokens.length}</td><td>${(i.ownership * 100).toFixed(2)}%</td><td>${forget}</td></tr>`;
      })
      .join('\n');
    const body = `<p>${list.length} instances at ${new Date(now).toISOString()}. <a href="/ring?format=json">JSON</a> · <a href="/memberlist">memberlist</a></p>
<table><thead><tr><th>Instance</th><th>Address</th><th>Zone</th><th>State</th><th>Health</th><th>Last heartbeat</th><th>Tokens</th><th>Ownership</th><th></th></tr></thead><tbody>
${rows}
</tbody></table>`;
    return reply.type('text/html; charset=utf-8').send(page('Ingester ring', body));
  });

  app.post('/ring/forget', async (req: FastifyRequest, reply: FastifyReply) => {
    const b = req.body as Record<string, unknown> | Uint8Array | undefined;
    let id: unknown;
    if (b instanceof Uint8Array) id = new URLSearchParams(Buffer.from(b).toString('utf8')).get('id');
    else id = b?.['id'] ?? (req.query as Record<string, unknown> | undefined)?.['id'];
    if (typeof id !== 'string' || id === '') throw new ClusterError('CLUSTER_BAD_REQUEST', 'forget needs the form field "id"');
    deps.forget(id);
    const accept = req.headers.accept ?? '';
    if (accept.includes('text/html')) return reply.code(303).header('location', '/ring').send();
    return reply.type('application/json').send({ status: 'success', data: { forgotten: id } });
  });

  app.get('/memberlist', async (req, reply) => {
    const members = deps.members().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const json = { members: members.map((m) => ({ name: m.name, addr: m.addr, state: m.state, incarnation: m.incarnation, meta: m.meta })) };
    const accept = req.headers.accept ?? '';
    const q = req.query as Record<string, unknown> | undefined;
    if (q?.['format'] !== 'html' && (q?.['format'] === 'json' || !accept.includes('text/html'))) return reply.type('application/json').send(json);
    const rows = members
      .map((m) => `<tr><td>${esc(m.name)}</td><td>${esc(m.addr)}</td><td>${esc(m.state)}</td><td>${m.incarnation}</td><td>${esc(JSON.stringify(m.meta))}</td></tr>`)
      .join('\n');
    const body = `<p>${members.length} members. <a href="/memberlist?format=json">JSON</a> · <a href="/ring">ring</a></p>
<table><thead><tr><th>Name</th><th>Address</th><th>State</th><th>Incarnation</th><th>Meta</th></tr></thead><tbody>
${rows}
</tbody></table>`;
    return reply.type('text/html; charset=utf-8').send(page('Memberlist', body));
  });
}
