/**
 * Shared incidents: what the server keeps for a link. Analysis stays in the browser; the
 * server keeps the capture bytes and what the sharer wrote (title, notes, labels, comments).
 */

/** 128 random bits, base64url without padding: 22 characters. */
export type IncidentId = string & { readonly __brand: 'IncidentId' };
/** Lower-case hex sha256 of a file's bytes; names the bytes in a content-addressed store. */
export type Sha256Hex = string & { readonly __brand: 'Sha256Hex' };

export interface IncidentFile {
  name: string;
  size: number;
  sha256: Sha256Hex;
  /** The capture point the sharer labelled this file with, when they did. */
  node: string | null;
  interface: string | null;
}

/** A comment the sharer wrote on one flow; `flow` is the flow's key (see `flowKey`). */
export interface FlowComment {
  flow: string;
  text: string;
}

/** What `GET /api/incidents/<id>` returns (plus `headersOnly`, `comments`, `warnings`). */
export interface IncidentMeta {
  id: IncidentId;
  title: string;
  notes: string;
  comments: FlowComment[];
  /** True when every packet was cut after its innermost transport header before upload. */
  headersOnly: boolean;
  /** ISO 8601, UTC. */
  createdAt: string;
  expiresAt: string;
  files: IncidentFile[];
  /** Reader warnings found at upload (a truncated capture is accepted with one). */
  warnings: string[];
}

/** What `POST /api/incidents` answers with 201. */
export interface IncidentCreated {
  id: string;
  /** The page that shows it: <origin>/i/<id>. */
  url: string;
  deleteToken: string;
  expiresAt: string;
  warnings: string[];
}

/** A new incident, ready to become visible in one transaction. */
export interface NewIncident {
  id: IncidentId;
  /** sha256 of the delete token; the token itself is never stored. */
  deleteTokenHash: Sha256Hex;
  title: string;
  notes: string;
  comments: FlowComment[];
  headersOnly: boolean;
  createdAtMs: number;
  expiresAtMs: number;
  files: IncidentFile[];
  warnings: string[];
  /** The creating client's address, for the per-address rate limit. */
  client: string;
  /** The creation was reserved (reserveCreation): commit records no second one. */
  reserved?: boolean;
}

/** A creation counted against the hour's limits before the upload ran. */
export interface CreationReservation {
  client: string;
  atMs: number;
}

export type ReserveResult = { ok: true; reservation: CreationReservation } | { ok: false; recent: number; everyone: number };

/** Bytes written by an upload session, not yet part of any incident. */
export interface StagedFile {
  size: number;
  sha256: Sha256Hex;
}

/**
 * One upload. Files are staged as they stream in (never whole in memory) and stay invisible;
 * `commit` makes the incident visible in one transaction once every file is durable. A crash
 * before commit leaves nothing visible, and the store removes the staged bytes on its next
 * start (or the database rolls them back).
 */
export interface UploadSession {
  /** Stream one file into the store. Throws what the chunk source throws (limits, bad capture). */
  addFile(chunks: AsyncIterable<Uint8Array>): Promise<StagedFile>;
  /** Make the incident visible. `incident.files[i]` describes the i-th added file. */
  commit(incident: NewIncident): Promise<void>;
  /** Drop everything staged; safe to call after a failed addFile, and more than once. */
  abort(): Promise<void>;
}

export type LookupResult =
  | { state: 'found'; incident: IncidentMeta }
  | { state: 'expired'; id: IncidentId; expiresAt: string }
  | { state: 'missing' };

export type DeleteResult = 'deleted' | 'forbidden' | 'missing';

export interface IncidentStore {
  readonly kind: 'sqlite' | 'postgres';
  beginUpload(): Promise<UploadSession>;
  /** An incident by id, `expired` once `now` passed its expiry, `missing` if unknown or deleted. */
  get(id: IncidentId, nowMs: number): Promise<LookupResult>;
  /** The bytes of one file, streamed; null when the incident or index is unknown or expired. */
  openFile(id: IncidentId, index: number, nowMs: number): Promise<{ file: IncidentFile; body: ReadableStream<Uint8Array> } | null>;
  /** Delete when `tokenHash` matches (compared in constant time). Bytes no incident uses go too. */
  delete(id: IncidentId, tokenHash: Sha256Hex): Promise<DeleteResult>;
  /** Incidents created by `client` (by anyone, for null) at or after `sinceMs`, deleted ones included. */
  countCreations(client: string | null, sinceMs: number): Promise<number>;
  /**
   * Count and record one creation for `client` in one step, unless the last hour already holds
   * `perClient` of its own or `total` of everyone's: parallel uploads cannot all pass the check.
   */
  reserveCreation(client: string, nowMs: number, perClient: number, total: number): Promise<ReserveResult>;
  /** Give back a reservation whose upload failed. */
  releaseCreation(r: CreationReservation): Promise<void>;
  /**
   * Housekeeping: drop the bytes of expired incidents (their ids keep answering "expired"),
   * forget expired ids older than `forgetBeforeMs` and creation records older than an hour (or
   * `forgetBeforeMs` if earlier), and remove orphan bytes no incident or running upload uses.
   */
  sweep(nowMs: number, forgetBeforeMs: number): Promise<{ expired: number; orphans: number }>;
  close(): Promise<void>;
}
