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
import type { FlowComment, IncidentFile, IncidentId, IncidentStore, StagedFile } from './types';
import { checkCapture } from './validate';

export const MAX_TITLE_CHARS = 200;
export const MAX_NOTES_CHARS = 100_000;
export const MAX_COMMENTS = 500;
export const MAX_COMMENT_CHARS = 10_000;
const MAX_LABEL_CHARS = 64;
const MAX_FILE_NAME_CHARS = 200;

export interface CreatedIncident {
  id: IncidentId;
  deleteToken: string;
  expiresAt: string;
  warnings: string[];
}

/** A file name as the user chose it, minus directories and control characters. */
export function cleanFileName(raw: string): string {
  const base = raw.replace(/^.*[\\/]/, '').replace(/[\u0000-\u001f\u007f]/g, '').trim();
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
    return { flow: c.flow, text: c.text };
  });
}

function mib(n: number): string {
  return `${(n / 1048576).toFixed(n % 1048576 === 0 ? 0 : 1)} MiB`;
}

/**
 * Receive one upload. Resolves when the incident is committed; rejects with HttpError (400,
 * 413) for what the client got wrong. Whatever happens, nothing half-written stays visible.
 */
export async function receiveUpload(
  body: ReadableStream<Uint8Array>,
  contentType: string,
  deps: { store: IncidentStore; config: IncidentConfig; client: string; nowMs: number; headersOnlyDefault?: boolean },
): Promise<CreatedIncident> {
  const { store, config } = deps;
  if (!/^multipart\/form-data/i.test(contentType)) throw new HttpError(400, 'send multipart/form-data with one or more "file" parts');

  const session = await store.beginUpload();
  const fields = new Map<string, string>();
  const files: { name: string; staged: StagedFile }[] = [];
  const warnings: string[] = [];
  let total = 0;
  let failure: unknown = null;
  let queue: Promise<void> = Promise.resolve();

  const input = Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>);
  const bb = busboy({
    headers: { 'content-type': contentType },
    limits: { fieldSize: MAX_NOTES_CHARS * 4, fields: 16, parts: config.maxFiles + 32 },
  });

  const fail = (err: unknown) => {
    if (failure === null) failure = err;
  };

  bb.on('field', (name, value, info) => {
    if (info.valueTruncated) fail(new HttpError(413, `the ${name} field is longer than ${MAX_NOTES_CHARS * 4} bytes`));
    // Multipart sends every line break as CRLF (HTML's form encoding): store what was typed.
    // NUL is never meant in text, and PostgreSQL's text columns refuse it.
    else fields.set(name, value.replace(/\r\n?/g, '\n').replace(/\u0000/g, ''));
  });

  bb.on('file', (field, stream, info) => {
    queue = queue.then(async () => {
      if (failure !== null || field !== 'file') {
        stream.resume();
        if (field !== 'file') fail(new HttpError(400, `unexpected file part "${field}"; capture files go in parts named "file"`));
        return;
      }
      const name = cleanFileName(info.filename ?? '');
      try {
        if (!name) throw new HttpError(400, `file part ${files.length + 1} has no file name`);
        if (files.some((f) => f.name === name)) throw new HttpError(400, `two files are named ${name}; give each capture its own name`);
        if (files.length >= config.maxFiles) throw new HttpError(413, `more than ${config.maxFiles} files in one incident`);
        const check = checkCapture(name);
        async function* counted(): AsyncGenerator<Uint8Array> {
          // destroyOnReturn false: after a refusal the rest of the part is drained (resume), so
          // the parser reaches the end of the body and the client gets its answer.
          for await (const chunk of stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
            total += chunk.length;
            if (total > config.maxIncidentBytes) {
              throw new HttpError(413, `the incident is larger than ${mib(config.maxIncidentBytes)} (HOPSCOPE_MAX_INCIDENT_BYTES) at ${name}`);
            }
            const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
            await check.push(bytes);
            yield bytes;
          }
          const summary = await check.end();
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

  const parsed = new Promise<void>((resolve, reject) => {
    bb.on('close', resolve);
    bb.on('error', (err) => reject(new HttpError(400, `the multipart body is malformed: ${(err as Error).message}`)));
    input.on('error', (err) => reject(new HttpError(400, `the upload was interrupted: ${err.message}`)));
    bb.on('partsLimit', () => fail(new HttpError(413, `too many parts; at most ${config.maxFiles} files`)));
    bb.on('fieldsLimit', () => fail(new HttpError(400, 'too many form fields')));
  });
  input.pipe(bb);

  try {
    await parsed.catch((err) => fail(err));
    await queue;
    if (failure !== null) throw failure;
    if (files.length === 0) throw new HttpError(400, 'no capture file: send one or more multipart parts named "file"');

    const title = (fields.get('title') ?? '').trim();
    if (title.length > MAX_TITLE_CHARS) throw new HttpError(413, `the title has ${title.length} characters; at most ${MAX_TITLE_CHARS}`);
    const notes = fields.get('notes') ?? '';
    if (notes.length > MAX_NOTES_CHARS) throw new HttpError(413, `the notes have ${notes.length} characters; at most ${MAX_NOTES_CHARS}`);
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
      createdAtMs: deps.nowMs,
      expiresAtMs,
      files: incidentFiles,
      warnings,
      client: deps.client,
    });
    return { id, deleteToken, expiresAt: new Date(expiresAtMs).toISOString(), warnings };
  } catch (err) {
    await session.abort();
    input.unpipe(bb);
    input.resume();
    if (err instanceof CaptureFormatError) throw new HttpError(400, err.message);
    throw err;
  }
}
