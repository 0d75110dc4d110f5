/**
 * The incident API as plain Request → Response functions; the route files under
 * app/api/incidents only call these. Every failure is a real status code with `{ "error" }`.
 */
import { randomBytes } from 'node:crypto';
import type { IncidentConfig } from './config';
import { HttpError } from './http-error';
import { isDeleteToken, parseIncidentId, sha256Hex } from './ids';
import type { IncidentId, IncidentStore } from './types';
import { multipartParser, receiveUpload } from './upload';

export interface ApiDeps {
  store: Promise<IncidentStore>;
  config: IncidentConfig;
  now?: () => number;
}

const NO_STORE = { 'Cache-Control': 'no-store' };

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...NO_STORE, ...headers },
  });
}

/** Node and PostgreSQL error codes that mean "the database cannot be reached now". */
const DB_DOWN = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08006']);
const RETRY_AFTER_S = '30';

/** An error no HttpError named, as the client may see it: a status and code, never the details. */
export function classify(err: unknown): HttpError | null {
  const code = (err as { code?: unknown } | null)?.code;
  const msg = (err as Error | null)?.message ?? '';
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === '53100') return new HttpError(507, 'the server has no room left to store this upload; try again later or ask its operator', {}, 'STORAGE_FULL');
  if (code === 'STORE_UNAVAILABLE') return new HttpError(503, 'the incident store is unavailable; the operator must restart the server', { 'Retry-After': RETRY_AFTER_S }, 'STORE_UNAVAILABLE');
  if ((typeof code === 'string' && DB_DOWN.has(code)) || /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect/i.test(msg)) {
    return new HttpError(503, 'the database is unavailable; try again shortly', { 'Retry-After': RETRY_AFTER_S }, 'DATABASE_UNAVAILABLE');
  }
  return null;
}

function errorResponse(err: unknown): Response {
  const known = err instanceof HttpError ? err : classify(err);
  if (known) return jsonResponse(known.status, { error: known.message, code: known.code }, known.headers);
  // Anything else: the details stay in the server log, under an id the client can quote.
  const requestId = randomBytes(8).toString('hex');
  console.error(`hopscope: incident API failure (request ${requestId}):`, err);
  return jsonResponse(500, { error: `internal error (request ${requestId})`, code: 'INTERNAL', requestId });
}

async function guard(fn: () => Promise<Response>): Promise<Response> {
  try {
    return await fn();
  } catch (err) {
    return errorResponse(err);
  }
}

function incidentId(raw: string): IncidentId {
  const id = parseIncidentId(raw);
  if (!id) throw new HttpError(404, `no incident ${JSON.stringify(raw.slice(0, 64))}: an incident id is 22 URL-safe characters`);
  return id;
}

/**
 * The socket address the server saw, set by Hopscope's own server (bin/hopscope-server.mjs),
 * which drops any copy a client sends. Believed only where that server runs (it sets
 * HOPSCOPE_PEER_HEADER=1 for its process): under a bare `next start` a client could send it.
 */
export const PEER_HEADER = 'x-hopscope-peer';
const peerHeaderSet = () => process.env.HOPSCOPE_PEER_HEADER === '1';

/**
 * The client address for the rate limit. Behind a proxy we trust (HOPSCOPE_TRUST_PROXY), the
 * right-most X-Forwarded-For entry: the address the nearest proxy saw. Otherwise the socket
 * address our server recorded; X-Forwarded-For is then the client's own claim and is ignored.
 * Without either (a bare `next start`), every client shares one key: stricter, never forgeable.
 * Only the address's hash is stored.
 */
export function clientKey(headers: Headers, trustProxy: boolean): string {
  let addr = (peerHeaderSet() ? headers.get(PEER_HEADER)?.trim() : null) || 'unknown';
  if (trustProxy) {
    const parts = (headers.get('x-forwarded-for') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    addr = parts[parts.length - 1] ?? addr;
  }
  return sha256Hex(`client:${addr.replace(/^::ffff:/, '')}`);
}

/** A Host header value: a name or address, an optional port; nothing else. */
const HOST = /^(?:[a-z0-9._-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/**
 * The public origin for links: HOPSCOPE_PUBLIC_URL; else, behind a trusted proxy, what it says
 * the client addressed (X-Forwarded-Host/-Proto); else the Host header over plain HTTP.
 */
export function publicOrigin(req: Request, config: IncidentConfig): string {
  if (config.publicUrl) return config.publicUrl;
  const url = new URL(req.url);
  const pick = (v: string | null | undefined) => (v ?? '').split(',')[0]!.trim();
  let host = pick(req.headers.get('host')) || url.host;
  let proto = 'http';
  if (config.trustProxy) {
    host = pick(req.headers.get('x-forwarded-host')) || host;
    proto = /^https?$/.test(pick(req.headers.get('x-forwarded-proto'))) ? pick(req.headers.get('x-forwarded-proto')) : proto;
  }
  if (!HOST.test(host)) throw new HttpError(400, `the Host header ${JSON.stringify(host.slice(0, 80))} is not a host name`, {}, 'BAD_HOST');
  return `${proto}://${host}`;
}

function expiredError(id: string, expiresAt: string): HttpError {
  return new HttpError(410, `incident ${id} expired on ${expiresAt}; its captures were deleted`);
}

export function createIncident(req: Request, deps: ApiDeps): Promise<Response> {
  return guard(async () => {
    const { config } = deps;
    const now = deps.now?.() ?? Date.now();
    const length = Number(req.headers.get('content-length') ?? NaN);
    // Multipart framing adds a few hundred bytes a part; anything far beyond the limit is refused
    // before a byte is stored.
    if (Number.isFinite(length) && length > config.maxIncidentBytes + 64 * 1024 + config.maxFiles * 1024) {
      throw new HttpError(413, `the upload is ${length} bytes; an incident may hold at most ${config.maxIncidentBytes} bytes (HOPSCOPE_MAX_INCIDENT_BYTES)`);
    }
    if (!req.body) throw new HttpError(400, 'the request has no body: send multipart/form-data with "file" parts');
    const origin = publicOrigin(req, config);
    const contentType = req.headers.get('content-type') ?? '';
    // Framing first: a body that cannot be parsed takes no slot, no reservation, no transaction.
    const parser = multipartParser(contentType, config);
    const store = await deps.store;
    const client = clientKey(req.headers, config.trustProxy);
    const r = await store.reserveCreation(client, now, config.maxCreationsPerHour, config.maxCreationsPerHourTotal);
    if (!r.ok) {
      if (r.recent >= config.maxCreationsPerHour) {
        throw new HttpError(429, `this address created ${r.recent} incidents in the last hour (uploads in progress included); the limit is ${config.maxCreationsPerHour} (HOPSCOPE_MAX_INCIDENTS_PER_HOUR)`, { 'Retry-After': '3600' });
      }
      throw new HttpError(429, `${r.everyone} incidents were created in the last hour; this server takes at most ${config.maxCreationsPerHourTotal} an hour (HOPSCOPE_MAX_INCIDENTS_PER_HOUR_TOTAL)`, { 'Retry-After': '600' });
    }
    let created;
    try {
      created = await receiveUpload(req.body, parser, { store, config, client, nowMs: now, reservation: r.reservation, signal: req.signal });
    } catch (err) {
      // An upload the client let stall, drag on or drop still counts: else one address could
      // hold every upload slot again and again. A refusal of what it sent gives the place back.
      const spent = err instanceof HttpError && (err.code === 'UPLOAD_STALLED' || err.code === 'UPLOAD_TOO_SLOW' || err.code === 'UPLOAD_ABORTED');
      if (!spent) await store.releaseCreation(r.reservation).catch((e: unknown) => console.error('hopscope: could not release a creation reservation:', e));
      throw err;
    }
    const url = `${origin}/i/${created.id}`;
    return jsonResponse(201, { id: created.id, url, deleteToken: created.deleteToken, expiresAt: created.expiresAt, warnings: created.warnings }, { Location: `/api/incidents/${created.id}` });
  });
}

export function getIncident(rawId: string, deps: ApiDeps): Promise<Response> {
  return guard(async () => {
    const id = incidentId(rawId);
    const got = await (await deps.store).get(id, deps.now?.() ?? Date.now());
    if (got.state === 'missing') throw new HttpError(404, `no incident ${id}: it never existed or was deleted`);
    if (got.state === 'expired') throw expiredError(id, got.expiresAt);
    return jsonResponse(200, got.incident);
  });
}

/** Quote a file name for Content-Disposition: an ASCII fallback plus RFC 6266 filename*. */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export function getIncidentFile(rawId: string, rawIndex: string, deps: ApiDeps): Promise<Response> {
  return guard(async () => {
    const id = incidentId(rawId);
    if (!/^(0|[1-9][0-9]{0,3})$/.test(rawIndex)) throw new HttpError(404, `no file ${JSON.stringify(rawIndex.slice(0, 16))}: a file index is a number from 0`);
    const index = Number(rawIndex);
    const store = await deps.store;
    const now = deps.now?.() ?? Date.now();
    const opened = await store.openFile(id, index, now);
    if (!opened) {
      const got = await store.get(id, now);
      if (got.state === 'expired') throw expiredError(id, got.expiresAt);
      if (got.state === 'missing') throw new HttpError(404, `no incident ${id}`);
      throw new HttpError(404, `incident ${id} has ${got.incident.files.length} files; there is no file ${index}`);
    }
    return new Response(opened.body, {
      status: 200,
      headers: {
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(opened.file.size),
        'Content-Disposition': contentDisposition(opened.file.name),
        'X-Content-Type-Options': 'nosniff',
        'X-Checksum-Sha256': opened.file.sha256,
        'Cache-Control': 'private, max-age=3600, immutable',
      },
    });
  });
}

export function deleteIncident(req: Request, rawId: string, deps: ApiDeps): Promise<Response> {
  return guard(async () => {
    const id = incidentId(rawId);
    const auth = req.headers.get('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    if (!m) throw new HttpError(403, 'send the delete token as "Authorization: Bearer <deleteToken>"', { 'WWW-Authenticate': 'Bearer' });
    const token = m[1]!;
    const result = isDeleteToken(token) ? await (await deps.store).delete(id, sha256Hex(token)) : 'forbidden';
    if (result === 'missing') throw new HttpError(404, `no incident ${id}: it never existed or was already deleted`);
    if (result === 'forbidden') {
      // An unknown token for a known id: 403, without saying more.
      throw new HttpError(403, `that token does not delete incident ${id}`);
    }
    return new Response(null, { status: 204, headers: NO_STORE });
  });
}
