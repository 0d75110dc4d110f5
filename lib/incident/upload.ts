/**
 * `POST /api/incidents`: a multipart stream of capture files and fields, written to the store
 * as it arrives. Each file is checked by the capture reader on the way through and counted
 * against the limits, so a bad or oversized upload stops at the first byte that proves it.
 */
import busboy from 'busboy';
import { Readable } from 'node:stream';
import { CaptureFormatError } from '../capture/errors';
import type { IncidentConfig } from './config';
import { HttpError } from './http-error';
import { newDeleteToken, newIncidentId, sha256Hex } from './ids';
import type { CreationReservation, FlowComment, IncidentFile, IncidentId, IncidentStore, StagedFile } from './types';
import { checkCapture } from './validate';
import { MAX_STATE_BYTES, STATE_FILE, STATE_KEY } from '../nodestate/bundle';

export const MAX_TITLE_CHARS = 200;
export const MAX_NOTES_CHARS = 100_000;
export const MAX_COMMENTS = 500;
export const MAX_COMMENT_CHARS = 10_000;
const MAX_LABEL_CHARS = 64;
const MAX_FILE_NAME_CHARS = 200;
/**
 * Captures compress 2–20× (headers repeat, payloads do not); a gzip that inflates more than this
 * many times its size, past a few MiB, is a bomb (zeros compress ~1000×) and is refused early,
 * before the cap on the total costs seconds of CPU.
 */
const MAX_INFLATE_RATIO = 200;
const RATIO_GRACE_BYTES = 8 * 1024 * 1024;

export interface CreatedIncident {
  id: IncidentId;
  deleteToken: string;
  expiresAt: string;
  warnings: string[];
}

/**
 * C0 and C1 controls and the bidirectional formatting characters (LRE…RLO, LRI…PDI, LRM, RLM):
 * in a file name, title or label they only hide or reorder what a reader sees (`pcap.exe` shown
 * as `exe.pcap`), so they are refused; notes and comments may hold line breaks and tabs.
 */
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_NOTES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u202a-\u202e\u2066-\u2069]/;

function refuseUnsafe(what: string, text: string, pattern = UNSAFE_TEXT): void {
  const m = pattern.exec(text);
  if (!m) return;
  const cp = m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  throw new HttpError(400, `${what} holds the invisible control character U+${cp} at character ${m.index + 1}; remove it`, {}, 'CONTROL_CHARACTER');
}

/** A file name as the user chose it, minus directories; control and bidi characters are refused. */
export function cleanFileName(raw: string): string {
  const base = raw.replace(/^.*[\\/]/, '').trim();
  refuseUnsafe(`the file name ${JSON.stringify(base.slice(0, 80))}`, base);
  return base.slice(0, MAX_FILE_NAME_CHARS);
}

function parseJson(field: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `the ${field} field is not JSON: ${(err as Error).message}`);
  }
}

type Labels = Map<string, { node: string; interface: string }>;

function parseLabels(text: string): Labels {
  const v = parseJson('labels', text);
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, 'labels must be a JSON object: file name → {"node", "interface"}');
  const out: Labels = new Map();
  for (const [name, label] of Object.entries(v)) {
    const l = label as { node?: unknown; interface?: unknown } | null;
    const node = typeof l?.node === 'string' ? l.node.trim() : '';
    const iface = typeof l?.interface === 'string' ? l.interface.trim() : '';
    if (!node || !iface || node.length > MAX_LABEL_CHARS || iface.length > MAX_LABEL_CHARS) {
      throw new HttpError(400, `the label of ${JSON.stringify(name)} needs a "node" and an "interface" of 1 to ${MAX_LABEL_CHARS} characters`);
    }
    refuseUnsafe(`the label of ${JSON.stringify(name.slice(0, 80))}`, `${node}/${iface}`);
    out.set(name, { node, interface: iface });
  }
  return out;
}

function parseComments(text: string): FlowComment[] {
  const v = parseJson('comments', text);
  if (!Array.isArray(v)) throw new HttpError(400, 'comments must be a JSON array of {"flow", "text"}');
  if (v.length > MAX_COMMENTS) throw new HttpError(413, `${v.length} comments; at most ${MAX_COMMENTS}`);
  return v.map((c: { flow?: unknown; text?: unknown }, i) => {
    if (typeof c?.flow !== 'string' || typeof c?.text !== 'string' || c.flow.length > 500) {
      throw new HttpError(400, `comment ${i} needs a "flow" and a "text" string`);
    }
    if (c.text.length > MAX_COMMENT_CHARS) throw new HttpError(413, `comment ${i} has ${c.text.length} characters; at most ${MAX_COMMENT_CHARS}`);
    refuseUnsafe(`comment ${i}`, c.flow + c.text, UNSAFE_NOTES);
    return { flow: c.flow, text: c.text };
  });
}

function mib(n: number): string {
  return `${(n / 1048576).toFixed(n % 1048576 === 0 ? 0 : 1)} MiB`;
}

/**
 * The multipart parser for a request, made before anything is reserved: a Content-Type that is
 * not multipart, or names no boundary, is a 400 that takes no upload slot and no transaction.
 * File names are read as UTF-8 (browsers send them so; busboy's default is latin1).
 */
export function multipartParser(contentType: string, config: IncidentConfig): busboy.Busboy {
  if (!/^multipart\/form-data/i.test(contentType)) throw new HttpError(400, 'send multipart/form-data with one or more "file" parts', {}, 'NOT_MULTIPART');
  try {
    return busboy({
      headers: { 'content-type': contentType },
      defParamCharset: 'utf8',
      limits: { fieldSize: MAX_NOTES_CHARS * 4, fields: 16, parts: config.maxFiles + 32 },
    });
  } catch (err) {
    throw new HttpError(400, `the multipart/form-data header is malformed: ${(err as Error).message}`, {}, 'BAD_MULTIPART');
  }
}

export interface UploadDeps {
  store: IncidentStore;
  config: IncidentConfig;
  client: string;
  nowMs: number;
  headersOnlyDefault?: boolean;
  /** The creation reserved for this upload: commit records no second one. */
  reservation?: CreationReservation;
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
}

/**
 * Receive one upload. Resolves when the incident is committed; rejects with HttpError (400,
 * 408, 413) for what the client got wrong. Whatever happens, nothing half-written stays: a
 * client that disconnects, sends nothing for `uploadIdleMs` or is still sending after
 * `uploadDeadlineMs` is cut off at once, its staged files deleted and its session (and, with
 * PostgreSQL, its transaction and pool connection) given back.
 */
export async function receiveUpload(body: ReadableStream<Uint8Array>, bb: busboy.Busboy, deps: UploadDeps): Promise<CreatedIncident> {
  const { store, config } = deps;
  const session = await store.beginUpload();
  const fields = new Map<string, string>();
  const files: { name: string; staged: StagedFile }[] = [];
  const warnings: string[] = [];
  let total = 0;
  let inflated = 0;
  let failure: unknown = null;
  let queue: Promise<void> = Promise.resolve();
  /** File parts being read: destroyed when the upload is cut off, so their readers end. */
  const open = new Set<Readable>();

  const input = Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>);

  const fail = (err: unknown) => {
    if (failure === null) failure = err;
  };

  let stop: (err: unknown) => void = () => {};
  const parsed = new Promise<void>((resolve, reject) => {
    stop = reject;
    bb.on('close', resolve);
    bb.on('error', (err) => reject(new HttpError(400, `the multipart body is malformed: ${(err as Error).message}`, {}, 'BAD_MULTIPART')));
    bb.on('partsLimit', () => fail(new HttpError(413, `too many parts; at most ${config.maxFiles} files`)));
    bb.on('fieldsLimit', () => fail(new HttpError(400, 'too many form fields')));
  });
  /** Stop reading now: the client went away, went quiet, or took too long. */
  const cutOff = (err: HttpError) => {
    fail(err);
    stop(err);
    input.unpipe(bb);
    input.destroy();
    for (const s of open) s.destroy(err);
  };
  const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;
  /** Chunks being checked and stored: the client waits on us then, and is not idle. */
  let working = 0;
  const idle = setTimeout(
    // Not idle while we check or store (input paused by our own back-pressure): only the client's silence counts.
    () => (working > 0 || input.readableFlowing === false ? idle.refresh() : cutOff(new HttpError(408, `no bytes arrived for ${seconds(config.uploadIdleMs)}: the upload was cut off and nothing of it kept (HOPSCOPE_UPLOAD_IDLE_SECONDS)`, { Connection: 'close' }, 'UPLOAD_STALLED'))),
    config.uploadIdleMs,
  );
  const deadline = setTimeout(
    () => cutOff(new HttpError(408, `the upload was still arriving after ${seconds(config.uploadDeadlineMs)}: cut off and nothing of it kept (HOPSCOPE_UPLOAD_DEADLINE_SECONDS)`, { Connection: 'close' }, 'UPLOAD_TOO_SLOW')),
    config.uploadDeadlineMs,
  );
  const aborted = () => cutOff(new HttpError(400, 'the client closed the connection before the upload ended; nothing of it was kept', {}, 'UPLOAD_ABORTED'));
  input.on('data', () => idle.refresh());
  // All of the body is here: what is left is ours to do, and the client is not idle.
  input.on('end', () => clearTimeout(idle));
  input.on('error', aborted);
  deps.signal?.addEventListener('abort', aborted, { once: true });
  if (deps.signal?.aborted) aborted();

  bb.on('field', (name, value, info) => {
    if (info.valueTruncated) fail(new HttpError(413, `the ${name} field is longer than ${MAX_NOTES_CHARS * 4} bytes`));
    // Multipart sends every line break as CRLF (HTML's form encoding): store what was typed.
    // NUL is never meant in text, and PostgreSQL's text columns refuse it.
    else fields.set(name, value.replace(/\r\n?/g, '\n').replace(/\u0000/g, ''));
  });

  bb.on('file', (field, stream, info) => {
    open.add(stream);
    // Destroyed with the cut-off's error while queued or draining: the error already counts
    // through `failure`; unheard, it would be an uncaught exception.
    stream.on('error', () => {});
    stream.once('close', () => open.delete(stream));
    queue = queue.then(async () => {
      if (failure !== null || field !== 'file') {
        stream.resume();
        if (field !== 'file') fail(new HttpError(400, `unexpected file part "${field}"; capture files go in parts named "file"`));
        return;
      }
      try {
        const name = cleanFileName(info.filename ?? '');
        if (!name) throw new HttpError(400, `file part ${files.length + 1} has no file name`);
        if (files.some((f) => f.name === name)) throw new HttpError(400, `two files are named ${name}; give each capture its own name`);
        if (files.length >= config.maxFiles) throw new HttpError(413, `more than ${config.maxFiles} files in one incident`);
        if (STATE_FILE.test(name)) {
          files.push({ name, staged: await session.addFile(nodeState(name, stream)) });
          return;
        }
        const before = inflated;
        const startedAt = total;
        const check = checkCapture(name, {
          onInflated(n) {
            inflated = before + n;
            const bomb = n > RATIO_GRACE_BYTES && n > MAX_INFLATE_RATIO * (total - startedAt);
            if (inflated > config.maxDecompressedBytes || bomb) {
              throw new HttpError(
                413,
                bomb
                  ? `${name}: the gzip data inflates more than ${MAX_INFLATE_RATIO} times (${n} bytes so far, from ${total - startedAt} bytes uploaded): a compression bomb, not a capture`
                  : `${name}: the gzip files of this incident inflate to more than ${mib(config.maxDecompressedBytes)} (${inflated} bytes so far, from ${total} bytes uploaded); at most ${config.maxDecompressedBytes} bytes decompressed (HOPSCOPE_MAX_DECOMPRESSED_FACTOR × HOPSCOPE_MAX_INCIDENT_BYTES)`,
                {},
                'DECOMPRESSED_TOO_LARGE',
              );
            }
          },
        });
        async function* counted(): AsyncGenerator<Uint8Array> {
          // destroyOnReturn false: after a refusal the rest of the part is drained (resume), so
          // the parser reaches the end of the body and the client gets its answer.
          for await (const chunk of stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
            idle.refresh();
            total += chunk.length;
            if (total > config.maxIncidentBytes) {
              throw new HttpError(413, `the incident is larger than ${mib(config.maxIncidentBytes)} (HOPSCOPE_MAX_INCIDENT_BYTES) at ${name}`);
            }
            const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
            working++;
            try {
              await check.push(bytes);
            } finally {
              working--;
              idle.refresh();
            }
            yield bytes;
          }
          working++;
          const summary = await check.end().finally(() => working--);
          for (const w of summary.warnings) warnings.push(w.message);
        }
        const staged = await session.addFile(counted());
        files.push({ name, staged });
      } catch (err) {
        fail(err);
        stream.resume();
      }
    });
  });

  /** A node's recorded state (a capture-kit bundle's, as the page hands it on): small JSON of texts. */
  async function* nodeState(name: string, stream: Readable): AsyncGenerator<Uint8Array> {
    const parts: Buffer[] = [];
    let size = 0;
    for await (const chunk of stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      idle.refresh();
      total += chunk.length;
      size += chunk.length;
      if (total > config.maxIncidentBytes) throw new HttpError(413, `the incident is larger than ${mib(config.maxIncidentBytes)} (HOPSCOPE_MAX_INCIDENT_BYTES) at ${name}`);
      if (size > MAX_STATE_BYTES) throw new HttpError(413, `${name}: a node's recorded state is at most ${mib(MAX_STATE_BYTES)}`);
      parts.push(chunk);
      yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
    }
    let ok = false;
    try {
      const v = JSON.parse(Buffer.concat(parts).toString('utf8')) as unknown;
      // Only the kit's own files: this is no general file store.
      ok = !!v && typeof v === 'object' && !Array.isArray(v) && 'manifest.json' in v && Object.entries(v).every(([k, x]) => typeof x === 'string' && STATE_KEY.test(k));
    } catch {
      ok = false;
    }
    if (!ok) throw new HttpError(400, `${name} is not a node's recorded state (a JSON object of the capture kit's files, with its manifest.json)`, {}, 'NOT_NODE_STATE');
  }

  input.pipe(bb);

  try {
    await parsed.catch((err) => fail(err));
    await queue;
    if (failure !== null) throw failure;
    if (!files.some((f) => !STATE_FILE.test(f.name))) throw new HttpError(400, 'no capture file: send one or more multipart parts named "file"');

    const title = (fields.get('title') ?? '').trim();
    if (title.length > MAX_TITLE_CHARS) throw new HttpError(413, `the title has ${title.length} characters; at most ${MAX_TITLE_CHARS}`);
    refuseUnsafe('the title', title);
    const notes = fields.get('notes') ?? '';
    if (notes.length > MAX_NOTES_CHARS) throw new HttpError(413, `the notes have ${notes.length} characters; at most ${MAX_NOTES_CHARS}`);
    refuseUnsafe('the notes', notes, UNSAFE_NOTES);
    const labels = fields.has('labels') ? parseLabels(fields.get('labels')!) : new Map();
    for (const name of labels.keys()) {
      if (!files.some((f) => f.name === name)) throw new HttpError(400, `labels name ${JSON.stringify(name)}, which is not one of the uploaded files`);
    }
    const comments = fields.has('comments') ? parseComments(fields.get('comments')!) : [];
    const headersOnlyField = fields.get('headersOnly');
    const headersOnly = headersOnlyField === undefined ? !!deps.headersOnlyDefault : headersOnlyField === 'true' || headersOnlyField === '1';

    const id = newIncidentId();
    const deleteToken = newDeleteToken();
    const expiresAtMs = deps.nowMs + config.ttlMs;
    const incidentFiles: IncidentFile[] = files.map(({ name, staged }) => ({
      name,
      size: staged.size,
      sha256: staged.sha256,
      node: labels.get(name)?.node ?? null,
      interface: labels.get(name)?.interface ?? null,
    }));
    await session.commit({
      id,
      deleteTokenHash: sha256Hex(deleteToken),
      title,
      notes,
      comments,
      headersOnly,
      createdAtMs: deps.reservation?.atMs ?? deps.nowMs,
      expiresAtMs,
      files: incidentFiles,
      warnings,
      client: deps.client,
      ...(deps.reservation ? { reserved: true } : {}),
    });
    return { id, deleteToken, expiresAt: new Date(expiresAtMs).toISOString(), warnings };
  } catch (err) {
    await session.abort();
    input.unpipe(bb);
    input.resume();
    if (err instanceof CaptureFormatError) throw new HttpError(400, err.message, {}, err.code);
    throw err;
  } finally {
    clearTimeout(idle);
    clearTimeout(deadline);
    deps.signal?.removeEventListener('abort', aborted);
  }
}
