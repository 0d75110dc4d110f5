/**
 * The incident API on a bare node:http server, for tests that need HTTP but not a Next.js
 * build (the CLI's `share`). It routes exactly as app/api/incidents does, to the same
 * functions; the end-to-end tests run the real Next.js server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { IncidentConfig } from '../config';
import { createIncident, deleteIncident, getIncident, getIncidentFile, jsonResponse, PEER_HEADER, type ApiDeps } from '../http';
import type { IncidentStore } from '../types';

export interface TestApiServer {
  url: string;
  close(): Promise<void>;
}

export async function startTestApiServer(store: IncidentStore, config: IncidentConfig, now?: () => number): Promise<TestApiServer> {
  const deps: ApiDeps = { store: Promise.resolve(store), config, now };
  // This server, like bin/hopscope-server.mjs, sets the peer header itself.
  process.env.HOPSCOPE_PEER_HEADER = '1';
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
      // What bin/hopscope-server.mjs does: the socket address, whatever the client sent.
      headers.set(PEER_HEADER, req.socket.remoteAddress ?? '');
      if (!config.trustProxy) for (const h of ['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto']) headers.delete(h);
      const hasBody = req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'DELETE';
      const body = hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined;
      const request = new Request(`http://${req.headers.host}${url.pathname}`, { method: req.method, headers, body, duplex: 'half' } as RequestInit);
      const m = /^\/api\/incidents(?:\/([^/]+)(?:\/files\/([^/]+))?)?\/?$/.exec(url.pathname);
      let r: Response;
      if (!m) r = jsonResponse(404, { error: 'not found' });
      else if (!m[1]) r = req.method === 'POST' ? await createIncident(request, deps) : jsonResponse(405, { error: 'POST only' });
      else if (m[2] !== undefined) r = await getIncidentFile(m[1], m[2], deps);
      else if (req.method === 'DELETE') r = await deleteIncident(request, m[1], deps);
      else r = await getIncident(m[1], deps);
      res.writeHead(r.status, Object.fromEntries(r.headers));
      if (r.body) for await (const c of r.body as unknown as AsyncIterable<Uint8Array>) res.write(c);
      res.end();
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
