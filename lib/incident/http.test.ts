/**
 * What a client is told when the server itself fails: a status and a code, never the internals.
 * The HTTP suite (e2e/hostile.spec.ts) drives the database-down and unexpected cases on real
 * servers; a full disk cannot be made there, so its mapping is checked here on the errors Node
 * and PostgreSQL really raise.
 */
import { describe, expect, it } from 'vitest';
import { classify, clientKey, PEER_HEADER } from './http';

// As bin/hopscope-server.mjs sets it for its process.
process.env.HOPSCOPE_PEER_HEADER = '1';

const sysErr = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('classify', () => {
  it('a full disk or quota is 507 STORAGE_FULL (Node ENOSPC/EDQUOT, PostgreSQL 53100)', () => {
    for (const code of ['ENOSPC', 'EDQUOT', '53100']) expect([classify(sysErr(code))?.status, classify(sysErr(code))?.code]).toEqual([507, 'STORAGE_FULL']);
  });
  it('a database that cannot be reached is 503 with Retry-After', () => {
    for (const e of [sysErr('ECONNREFUSED'), sysErr('57P01', 'terminating connection due to administrator command'), new Error('Connection terminated unexpectedly')]) {
      const h = classify(e)!;
      expect([h.status, h.code, Number(h.headers['Retry-After']) > 0]).toEqual([503, 'DATABASE_UNAVAILABLE', true]);
    }
  });
  it('anything else is left to the 500 with a request id', () => {
    expect(classify(new TypeError('x is undefined'))).toBeNull();
    expect(classify(sysErr('42P01', 'relation "incident_files" does not exist'))).toBeNull();
  });
});

describe('clientKey', () => {
  const h = (o: Record<string, string>) => new Headers(o);
  it('ignores x-hopscope-peer where Hopscope\'s own server did not set it (a bare next start): one shared key', () => {
    delete process.env.HOPSCOPE_PEER_HEADER;
    expect(clientKey(h({ [PEER_HEADER]: '10.0.0.1' }), false)).toBe(clientKey(h({ [PEER_HEADER]: '10.0.0.2' }), false));
    process.env.HOPSCOPE_PEER_HEADER = '1';
  });
  it('is the socket address unless a proxy is trusted: X-Forwarded-For alone changes nothing', () => {
    const a = clientKey(h({ [PEER_HEADER]: '10.0.0.1', 'x-forwarded-for': '203.0.113.1' }), false);
    const b = clientKey(h({ [PEER_HEADER]: '10.0.0.1', 'x-forwarded-for': '203.0.113.2' }), false);
    expect(a).toBe(b);
    expect(clientKey(h({ [PEER_HEADER]: '10.0.0.2' }), false)).not.toBe(a);
  });
  it('behind a trusted proxy is the right-most X-Forwarded-For entry', () => {
    const a = clientKey(h({ [PEER_HEADER]: '10.0.0.1', 'x-forwarded-for': 'forged, 203.0.113.1' }), true);
    expect(a).toBe(clientKey(h({ [PEER_HEADER]: '10.0.0.9', 'x-forwarded-for': '203.0.113.1' }), true));
  });
});
