#!/usr/bin/env node
/**
 * Hopscope's web server: Next.js's request handler behind a node:http server that knows each
 * client's socket address, which a route handler cannot see.
 *
 * X-Forwarded-For/-Host/-Proto are the client's own words unless a proxy we trust set them
 * (HOPSCOPE_TRUST_PROXY=1): without it they are dropped before Next.js sees them, so no client
 * picks its own rate-limit key or the host of the links it is given. `x-hopscope-peer` always
 * carries the socket address (a copy sent by the client is dropped).
 *
 * Timeouts: 20 s to send the headers (a client that never finishes them holds nothing else);
 * the body has the upload's own idle timeout and deadline (HOPSCOPE_UPLOAD_IDLE_SECONDS,
 * HOPSCOPE_UPLOAD_DEADLINE_SECONDS), and node's whole-request limit sits a minute past that.
 *
 *   node bin/hopscope-server.mjs [-p PORT] [-H HOST]      (what `npm start` runs, after `npm run build`)
 */
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

process.env.NODE_ENV ??= 'production';
// The route handlers believe x-hopscope-peer only in a process this server runs (lib/incident/http.ts).
process.env.HOPSCOPE_PEER_HEADER = '1';
const { default: next } = await import('next');

const args = process.argv.slice(2);
const opt = (short, long) => {
  const i = args.findIndex((a) => a === short || a === long);
  return i >= 0 ? args[i + 1] : undefined;
};
const port = Number(opt('-p', '--port') ?? process.env.PORT ?? 3000);
// Not $HOSTNAME: containers set it to their own name, and the server would listen on that address only.
const hostname = opt('-H', '--hostname') ?? '0.0.0.0';
const trustProxy = /^(1|true|yes)$/i.test(process.env.HOPSCOPE_TRUST_PROXY?.trim() ?? '');
const deadlineS = Number(process.env.HOPSCOPE_UPLOAD_DEADLINE_SECONDS) > 0 ? Number(process.env.HOPSCOPE_UPLOAD_DEADLINE_SECONDS) : 900;
const FORWARDED = ['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'forwarded'];

const app = next({ dev: false, dir: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'), hostname, port });
const handle = app.getRequestHandler();
await app.prepare();

const server = http.createServer((req, res) => {
  if (!trustProxy) for (const h of FORWARDED) delete req.headers[h];
  req.headers['x-hopscope-peer'] = req.socket.remoteAddress ?? '';
  handle(req, res).catch((err) => {
    console.error('hopscope: request failed:', err);
    if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
    res.end('internal error');
  });
});
server.headersTimeout = 20_000;
server.requestTimeout = (deadlineS + 60) * 1000;
server.listen(port, hostname, () => console.log(`hopscope: ready on http://${hostname}:${port}${trustProxy ? ' (X-Forwarded-* trusted)' : ''}`));

// Stop gently on SIGTERM/SIGINT: finish what is in flight, then exit.
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5000).unref();
  });
}
