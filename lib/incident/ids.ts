/**
 * Incident ids and delete tokens. Both are random (crypto.getRandomValues), URL-safe base64
 * without padding; an id is 128 bits, a delete token 256. Only the token's sha256 is stored.
 * Every id from a URL passes `parseIncidentId` before it reaches a file path or a query.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncidentId, Sha256Hex } from './types';

const ID_BYTES = 16;
const TOKEN_BYTES = 32;
const ID_RE = /^[A-Za-z0-9_-]{22}$/;
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;
const SHA256_RE = /^[0-9a-f]{64}$/;

function randomBase64Url(bytes: number): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('base64url');
}

export function newIncidentId(): IncidentId {
  return randomBase64Url(ID_BYTES) as IncidentId;
}

export function newDeleteToken(): string {
  return randomBase64Url(TOKEN_BYTES);
}

/** The id, or null when the text cannot be one (wrong length or alphabet). */
export function parseIncidentId(text: string): IncidentId | null {
  return ID_RE.test(text) ? (text as IncidentId) : null;
}

export function isDeleteToken(text: string): boolean {
  return TOKEN_RE.test(text);
}

export function isSha256Hex(text: string): text is Sha256Hex {
  return SHA256_RE.test(text);
}

export function sha256Hex(text: string | Uint8Array): Sha256Hex {
  return createHash('sha256').update(text).digest('hex') as Sha256Hex;
}

/** Constant-time comparison of two hex digests of equal length. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
