/**
 * The incident API as plain Request → Response functions; the route files under
 * app/api/incidents only call these. Every failure is a real status code with `{ "error" }`.
 */
import { HOUR_MS, type IncidentConfig } from './config';
import { HttpError } from './http-error';
import { isDeleteToken, parseIncidentId, sha256Hex } from './ids';
import type { IncidentId, IncidentStore } from './types';
import { receiveUpload } from './upload';

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

function errorResponse(err: unknown): Response {
  if (err instanceof HttpError) return jsonResponse(err.status, { error: err.message }, err.headers);
  console.error('hopscope: incident API failure:', err);
  return jsonResponse(500, { error: `internal error: ${(err as Error)?.message ?? String(err)}` });
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
 * The client address for the rate limit: the right-most X-Forwarded-For entry, which is the
 * address the nearest proxy saw — or, with no proxy in front, the socket address Next.js puts
 * there. Only the address's hash is stored.
 */
export function clientKey(headers: Headers): string {
  const xff = headers.get('x-forwarded-for') ?? '';
  const parts = xff.split(',').map((s) => s.trim()).filter(Boolean);
  const addr = (parts[parts.length - 1] ?? 'unknown').replace(/^::ffff:/, '');
  return sha256Hex(`client:${addr}`);
}

/** The public origin for links: HOPSCOPE_PUBLIC_URL, else what the request was addressed to. */
export function publicOrigin(req: Request, config: IncidentConfig): string {
  if (config.publicUrl) return config.publicUrl;
  const url = new URL(req.url);
  const host = req.headers.get('x-forwarded-host') ?? req.headers.get('host') ?? url.host;
  const proto = req.headers.get('x-forwarded-proto') ?? url.protocol.replace(/:$/, '');
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
    const store = await deps.store;
    const client = clientKey(req.headers);
    const recent = await store.countCreations(client, now - HOUR_MS);
    if (recent >= config.maxCreationsPerHour) {
      throw new HttpError(429, `this address created ${recent} incidents in the last hour; the limit is ${config.maxCreationsPerHour} (HOPSCOPE_MAX_INCIDENTS_PER_HOUR)`, {
        'Retry-After': '3600',
      });
    }
    const everyone = await store.countCreations(null, now - HOUR_MS);
    if (everyone >= config.maxCreationsPerHourTotal) {
      throw new HttpError(429, `${everyone} incidents were created in the last hour; this server takes at most ${config.maxCreationsPerHourTotal} an hour (HOPSCOPE_MAX_INCIDENTS_PER_HOUR_TOTAL)`, {
        'Retry-After': '600',
      });
    }
    const created = await receiveUpload(req.body, req.headers.get('content-type') ?? '', { store, config, client, nowMs: now });
    const url = `${publicOrigin(req, config)}/i/${created.id}`;
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
