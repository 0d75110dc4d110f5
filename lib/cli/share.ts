/**
 * `hopscope share PATH... [--server URL] [--headers-only] [--title T] [--notes FILE]
 * [--label FILE=NODE/INTERFACE]`: upload one incident's captures from a terminal (a jump host,
 * where the captures are) and print the link.
 *
 * The multipart body is a pull stream over the files, so nothing is held whole in memory, its
 * length is known before the first byte (the server refuses an oversized upload from the
 * Content-Length alone), and the bytes handed to fetch are counted for the progress line.
 */
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CaptureFormatError } from '../capture/errors';
import { readCapture } from '../capture/read';
import { parseLabelArg } from '../correlate/labels';
import { cutToHeaders, type HeadersOnlyResult } from '../decode/headers-only';
import { cleanFileName, MAX_NOTES_CHARS, MAX_TITLE_CHARS } from '../incident/upload';
import type { IncidentCreated } from '../incident/types';
import { expand } from '../analyze/files';
import { uniqueName } from '../util/names';

export const DEFAULT_SERVER = 'http://localhost:3000';

/** Bytes read from the start of each file to check it is a capture before anything is sent. */
export const HEAD_CHECK_BYTES = 64 * 1024;

const UPLOAD_CHUNK_BYTES = 1 << 20;
const PROGRESS_INTERVAL_MS = 100;

/** Where the command talks to; the tests pass their own, `main` passes the process's. */
export interface ShareIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** The progress line redraws in place only on a terminal. */
  stderrIsTTY: boolean;
  env: Record<string, string | undefined>;
  /** Read for `--notes -`. */
  stdin: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

const processIo = (): ShareIo => ({
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  stderrIsTTY: process.stderr.isTTY === true,
  env: process.env,
  stdin: process.stdin,
});

/** A failure to report as `hopscope share: <message>` with exit status `status`. */
class ShareError extends Error {
  constructor(
    message: string,
    readonly status = 1,
  ) {
    super(message);
  }
}

interface ShareArgs {
  paths: string[];
  server: string;
  headersOnly: boolean;
  title: string;
  notesFile: string | null;
  labels: { key: string; node: string; interface: string }[];
}

function parseArgs(args: string[], env: ShareIo['env']): ShareArgs {
  const out: ShareArgs = { paths: [], server: env.HOPSCOPE_SERVER?.trim() || DEFAULT_SERVER, headersOnly: false, title: '', notesFile: null, labels: [] };
  let optionsDone = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (optionsDone || !a.startsWith('--')) {
      out.paths.push(a);
      continue;
    }
    if (a === '--') {
      optionsDone = true;
      continue;
    }
    if (a === '--headers-only') {
      out.headersOnly = true;
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq < 0 ? a : a.slice(0, eq);
    if (!['--server', '--title', '--notes', '--label'].includes(name)) throw new ShareError(`unknown option ${a}`, 2);
    let value: string;
    if (eq >= 0) value = a.slice(eq + 1);
    else if (i + 1 < args.length) value = args[++i]!;
    else throw new ShareError(`${name} needs a value`, 2);
    if (name === '--server') out.server = value;
    else if (name === '--title') out.title = value;
    else if (name === '--notes') out.notesFile = value;
    else {
      try {
        const l = parseLabelArg(value);
        out.labels.push({ key: l.file, node: l.node, interface: l.interface });
      } catch (e) {
        throw new ShareError((e as Error).message, 2);
      }
    }
  }
  if (out.paths.length === 0) throw new ShareError('share needs capture files or folders', 2);
  let url: URL;
  try {
    url = new URL(out.server);
  } catch {
    throw new ShareError(`--server ${JSON.stringify(out.server)} is not a URL; give one like ${DEFAULT_SERVER}`, 2);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ShareError(`--server ${out.server}: only http:// and https:// servers`, 2);
  // A server behind a path prefix (https://tools.example.com/hopscope) keeps its prefix.
  out.server = url.href.replace(/\/+$/, '');
  if (out.title.trim().length > MAX_TITLE_CHARS) throw new ShareError(`the title has ${out.title.trim().length} characters; at most ${MAX_TITLE_CHARS}`, 2);
  return out;
}

/** One capture to upload: where its bytes are read from and the name it is uploaded as. */
interface Upload {
  /** The path as the user named it (or as a folder expanded to it), for messages. */
  path: string;
  name: string;
  /** What is sent: the file itself, or its headers-only cut in the temporary folder. */
  source: string;
  /** Bytes of `source` sent; taken once, so a capture still being written is sent as it was. */
  size: number;
}

/**
 * Upload names: the base name (what the server keeps), minus `.gz` for a headers-only cut,
 * which comes out uncompressed. Two files with one name (node1/eth0.pcap, node2/eth0.pcap) are
 * renamed `<parent folder>-<name>`: node1-eth0.pcap is also the `<node>-<interface>` form the
 * analysis reads capture points from. A clash that remains is numbered (lib/util/names.ts).
 */
export function uploadNames(paths: string[], headersOnly: boolean): { names: string[]; renamed: string[] } {
  const plain = paths.map((p) => {
    const n = cleanFileName(basename(p));
    return headersOnly ? n.replace(/\.gz$/i, '') : n;
  });
  const count = new Map<string, number>();
  for (const n of plain) count.set(n, (count.get(n) ?? 0) + 1);
  const byFolder = plain.map((n, i) => {
    if (count.get(n) === 1) return n;
    const parent = cleanFileName(basename(dirname(resolve(paths[i]!))));
    return parent ? cleanFileName(`${parent}-${n}`) : n;
  });
  // A clash that remains (a/x/eth0.pcap and b/x/eth0.pcap) is numbered, as the dashboard does.
  const taken = new Set<string>();
  const names = byFolder.map((n) => uniqueName(n, taken));
  const renamed = names.flatMap((n, i) => (n === plain[i] ? [] : [`${paths[i]} is uploaded as ${n}`]));
  return { names, renamed };
}

/**
 * `--label FILE=…` names a file by the path given, its base name (as `analyze` takes it) or the
 * name it is uploaded as. A label that names no file, or several, is refused here rather than
 * by the server after the upload.
 */
function resolveLabels(labels: ShareArgs['labels'], uploads: Upload[]): Record<string, { node: string; interface: string }> {
  const out: Record<string, { node: string; interface: string }> = {};
  for (const l of labels) {
    const hits = uploads.filter((u) => l.key === u.path || resolve(l.key) === resolve(u.path) || l.key === basename(u.path) || l.key === u.name);
    if (hits.length === 0) throw new ShareError(`--label ${l.key}=${l.node}/${l.interface}: ${l.key} is none of the files to share`, 2);
    if (hits.length > 1) {
      throw new ShareError(`--label ${l.key}=${l.node}/${l.interface}: ${l.key} matches ${hits.map((h) => h.path).join(' and ')}; name the file by its path`, 2);
    }
    out[hits[0]!.name] = { node: l.node, interface: l.interface };
  }
  return out;
}

async function readNotes(file: string, stdin: ShareIo['stdin']): Promise<string> {
  // A UTF-8 character is at most 4 bytes: more bytes than this are surely over the limit.
  const maxBytes = MAX_NOTES_CHARS * 4;
  let text: string;
  if (file === '-') {
    const parts: Uint8Array[] = [];
    let n = 0;
    for await (const chunk of stdin) {
      n += chunk.length;
      if (n > maxBytes) throw new ShareError(`the notes on stdin are longer than ${MAX_NOTES_CHARS} characters`);
      parts.push(chunk);
    }
    text = Buffer.concat(parts).toString('utf8');
  } else {
    const st = await stat(file).catch(() => null);
    if (!st?.isFile()) throw new ShareError(`--notes ${file}: no such file`);
    if (st.size > maxBytes) throw new ShareError(`--notes ${file}: ${st.size} bytes; notes may have at most ${MAX_NOTES_CHARS} characters`);
    text = await readFile(file, 'utf8');
  }
  if (text.length > MAX_NOTES_CHARS) throw new ShareError(`the notes have ${text.length} characters; at most ${MAX_NOTES_CHARS}`);
  return text;
}

async function* headOf(path: string, bytes: number): AsyncGenerator<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    if (bytesRead > 0) yield buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * Read the first HEAD_CHECK_BYTES with the capture reader (gzip included): a PNG, a text file
 * or a damaged header is named before the upload starts. The server reads every byte with the
 * same reader, so damage further in still comes back as its 400 with the same message.
 */
async function checkHead(path: string): Promise<void> {
  // The head ends mid-record (or mid-gzip-stream): that is only a warning, which is ignored.
  await readCapture(path, headOf(path, HEAD_CHECK_BYTES), { onPacket() {} });
}

/**
 * Cut one capture to headers into `outPath`. Input is read only as fast as the output is
 * written, so memory stays at a chunk or two whatever the file's size.
 */
async function cutFile(path: string, outPath: string): Promise<HeadersOnlyResult> {
  const out = createWriteStream(outPath);
  let writeError: unknown = null;
  out.on('error', (e) => (writeError ??= e));
  async function* input(): AsyncGenerator<Uint8Array> {
    for await (const chunk of createReadStream(path, { highWaterMark: UPLOAD_CHUNK_BYTES }) as AsyncIterable<Buffer>) {
      if (writeError !== null) throw writeError;
      if (out.writableNeedDrain) await once(out, 'drain');
      yield chunk;
    }
  }
  try {
    const result = await cutToHeaders(path, input(), (bytes) => {
      out.write(bytes);
    });
    await new Promise<void>((done, fail) => out.end((e?: Error | null) => (e ? fail(e) : done())));
    if (writeError !== null) throw writeError;
    return result;
  } finally {
    out.destroy();
  }
}

function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

/** `'…'` for the shell where needed, so the printed command pastes as it reads. */
function shellQuote(s: string): string {
  return /^[A-Za-z0-9_\-.,:/@%+=]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

const utf8 = new TextEncoder();

/** A Content-Disposition parameter value: quoted-string, with `"` and `\` escaped. */
function quoted(s: string): string {
  return `"${s.replace(/[\\"]/g, '\\$&')}"`;
}

interface MultipartBody {
  contentType: string;
  length: number;
  stream: ReadableStream<Uint8Array>;
  /** The error a file read raised mid-upload, which fetch only reports as "fetch failed". */
  failure(): unknown;
}

/**
 * multipart/form-data (RFC 7578) over text fields and files, streamed: each file is read in
 * 1 MiB chunks as fetch asks for more, and exactly `size` bytes are sent from each.
 */
export function multipartBody(fields: [string, string][], files: { name: string; path: string; size: number }[], onSent: (bytes: number) => void): MultipartBody {
  const boundary = `----hopscope-${randomBytes(12).toString('hex')}`;
  type Segment = Uint8Array | { path: string; size: number };
  const segments: Segment[] = [];
  for (const [name, value] of fields) {
    segments.push(utf8.encode(`--${boundary}\r\nContent-Disposition: form-data; name=${quoted(name)}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${value}\r\n`));
  }
  for (const f of files) {
    // busboy reads `filename` as Latin-1 and prefers RFC 5987's `filename*`, which carries UTF-8.
    const ascii = f.name.replace(/[^\x20-\x7e]/g, '_');
    segments.push(
      utf8.encode(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename=${quoted(ascii)}; filename*=UTF-8''${encodeURIComponent(f.name)}\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n',
      ),
    );
    segments.push({ path: f.path, size: f.size });
    segments.push(utf8.encode('\r\n'));
  }
  segments.push(utf8.encode(`--${boundary}--\r\n`));
  const length = segments.reduce((n, s) => n + (s instanceof Uint8Array ? s.length : s.size), 0);

  let next = 0;
  let file: { fh: import('node:fs/promises').FileHandle; left: number; path: string; size: number } | null = null;
  let sent = 0;
  let failure: unknown = null;
  const closeFile = async () => {
    const f = file;
    file = null;
    await f?.fh.close();
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          let chunk: Uint8Array | null = null;
          while (chunk === null) {
            if (file !== null) {
              if (file.left === 0) {
                await closeFile();
                continue;
              }
              const buf = Buffer.allocUnsafe(Math.min(UPLOAD_CHUNK_BYTES, file.left));
              const { bytesRead } = await file.fh.read(buf, 0, buf.length, file.size - file.left);
              if (bytesRead === 0) {
                throw new ShareError(`${file.path} shrank while it was being sent: ${file.size} bytes expected, ${file.size - file.left} there`);
              }
              file.left -= bytesRead;
              chunk = buf.subarray(0, bytesRead);
              continue;
            }
            const s = segments[next++];
            if (s === undefined) {
              controller.close();
              return;
            }
            if (s instanceof Uint8Array) chunk = s;
            else file = { fh: await open(s.path, 'r'), left: s.size, path: s.path, size: s.size };
          }
          controller.enqueue(chunk);
          sent += chunk.length;
          onSent(sent);
        } catch (e) {
          failure ??= e;
          await closeFile().catch(() => {});
          controller.error(e);
        }
      },
      async cancel() {
        await closeFile();
      },
    },
    // Read a file chunk only when fetch wants one: the count is then what went to the socket,
    // give or take one chunk.
    { highWaterMark: 0 },
  );
  return { contentType: `multipart/form-data; boundary=${boundary}`, length, stream, failure: () => failure };
}

/** The progress line: redrawn in place on a terminal, one plain line at the end otherwise. */
class Progress {
  private lastDraw = 0;
  private drawn = false;
  private readonly t0 = Date.now();

  constructor(
    private readonly io: ShareIo,
    private readonly total: number,
    private readonly what: string,
  ) {}

  update(sent: number): void {
    if (!this.io.stderrIsTTY) return;
    const now = Date.now();
    if (now - this.lastDraw < PROGRESS_INTERVAL_MS && sent < this.total) return;
    this.lastDraw = now;
    const pct = this.total > 0 ? Math.floor((sent / this.total) * 100) : 100;
    this.io.stderr(`\r\x1b[Kuploading ${this.what}: ${humanBytes(sent)} of ${humanBytes(this.total)} (${pct}%)`);
    this.drawn = true;
  }

  /** Take the redrawn line off the terminal, so what follows starts on a clean line. */
  clear(): void {
    if (this.drawn) this.io.stderr('\r\x1b[K');
    this.drawn = false;
  }

  done(): void {
    this.clear();
    const seconds = ((Date.now() - this.t0) / 1000).toFixed(1);
    this.io.stderr(`hopscope share: uploaded ${this.what}, ${humanBytes(this.total)} in ${seconds} s\n`);
  }
}

/** What fetch's "fetch failed" was: the cause's code (ECONNREFUSED, ENOTFOUND…) and message. */
function networkError(e: unknown, server: string, endpoint: string): ShareError {
  const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (e as { code?: string })?.code;
  const message = cause?.message ?? (e as Error)?.message ?? String(e);
  if (code === 'ECONNREFUSED') {
    return new ShareError(`cannot reach ${server}: connection refused (ECONNREFUSED); is the Hopscope server running there? (--server URL or HOPSCOPE_SERVER)`);
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new ShareError(`cannot reach ${server}: the host name does not resolve (${code})`);
  if (/redirect/i.test(message)) {
    return new ShareError(`${endpoint} answered with a redirect, which an upload cannot follow; give --server the address it redirects to (https://…?)`);
  }
  return new ShareError(`the upload to ${endpoint} failed: ${message}${code ? ` (${code})` : ''}`);
}

type Created = IncidentCreated;

async function upload(server: string, body: MultipartBody, progress: Progress): Promise<Created> {
  const endpoint = `${server}/api/incidents`;
  let res: Response;
  let text: string;
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': body.contentType, 'Content-Length': String(body.length), Accept: 'application/json' },
      body: body.stream,
      duplex: 'half',
      // Unless redirects are errors, fetch clones the request to be able to follow one, and
      // the clone tees the body: the branch nobody reads then holds every byte sent (undici
      // #4058; the streaming test sees 64 MiB held for a 64 MiB upload). A streamed body
      // cannot be replayed after a redirect anyway.
      window: null,
      redirect: 'error',
    } as RequestInit);
    text = await res.text();
  } catch (e) {
    progress.clear();
    const local = body.failure();
    if (local !== null) throw local;
    throw networkError(e, server, endpoint);
  }
  let json: Record<string, unknown> | null = null;
  try {
    const v: unknown = JSON.parse(text);
    if (v && typeof v === 'object') json = v as Record<string, unknown>;
  } catch {
    /* not JSON: a proxy's error page, or not a Hopscope server */
  }
  if (!res.ok) {
    progress.clear();
    const said = typeof json?.error === 'string' ? json.error : `${res.statusText}${text.trim() ? `: ${text.trim().slice(0, 200)}` : ''}`;
    throw new ShareError(`${res.status} ${said}`);
  }
  const c = json as Partial<Created> | null;
  if (typeof c?.id !== 'string' || typeof c.url !== 'string' || typeof c.deleteToken !== 'string') {
    progress.clear();
    throw new ShareError(`${endpoint} answered ${res.status} but not with an incident; is ${server} a Hopscope server?`);
  }
  progress.done();
  return { id: c.id, url: c.url, deleteToken: c.deleteToken, expiresAt: String(c.expiresAt ?? ''), warnings: Array.isArray(c.warnings) ? c.warnings.map(String) : [] };
}

/** Remove the temporary folder even when the user interrupts the upload. */
function removeOnSignal(dir: string): () => void {
  const handler = (signal: NodeJS.Signals) => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
    rmSync(dir, { recursive: true, force: true });
    process.kill(process.pid, signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

export async function shareCommand(args: string[], io: ShareIo = processIo()): Promise<number> {
  let tmp: string | null = null;
  let unhook = () => {};
  try {
    const opts = parseArgs(args, io.env);
    let paths: string[];
    try {
      paths = expand(opts.paths);
    } catch (e) {
      throw new ShareError((e as Error).message);
    }
    // A folder and a file in it, or one file named twice: sent once.
    const seen = new Set<string>();
    paths = paths.filter((p) => !seen.has(resolve(p)) && !!seen.add(resolve(p)));
    const { names, renamed } = uploadNames(paths, opts.headersOnly);
    const uploads: Upload[] = [];
    for (const [i, path] of paths.entries()) {
      const st = await stat(path);
      if (!st.isFile()) throw new ShareError(`${path}: not a regular file`);
      uploads.push({ path, name: names[i]!, source: path, size: st.size });
    }
    const labels = resolveLabels(opts.labels, uploads);
    const notes = opts.notesFile === null ? '' : await readNotes(opts.notesFile, io.stdin);
    for (const r of renamed) io.stderr(`hopscope share: ${r} (two files have its name)\n`);

    if (opts.headersOnly) {
      tmp = await mkdtemp(join(tmpdir(), 'hopscope-share-'));
      unhook = removeOnSignal(tmp);
      for (const [i, u] of uploads.entries()) {
        const out = join(tmp, `${i}.cut`);
        const r = await cutFile(u.path, out);
        for (const w of r.warnings) io.stderr(`hopscope share: warning: ${w.message}\n`);
        io.stderr(`hopscope share: ${u.path}: ${r.packets} packets cut to headers, ${humanBytes(r.bytesIn)} → ${humanBytes(r.bytesOut)}\n`);
        u.source = out;
        u.size = r.bytesOut;
      }
    } else {
      for (const u of uploads) await checkHead(u.path);
    }

    const fields: [string, string][] = [];
    if (opts.title.trim()) fields.push(['title', opts.title.trim()]);
    if (notes) fields.push(['notes', notes]);
    if (Object.keys(labels).length > 0) fields.push(['labels', JSON.stringify(labels)]);
    fields.push(['headersOnly', String(opts.headersOnly)]);

    const what = `${uploads.length} file${uploads.length === 1 ? '' : 's'}${opts.headersOnly ? ' (headers only)' : ''}`;
    let progress: Progress | null = null;
    const body = multipartBody(
      fields,
      uploads.map((u) => ({ name: u.name, path: u.source, size: u.size })),
      (sent) => progress?.update(sent),
    );
    progress = new Progress(io, body.length, what);
    const created = await upload(opts.server, body, progress);

    const out = [
      created.url,
      `delete token: ${created.deleteToken}`,
      `delete with:  curl -X DELETE -H ${shellQuote(`Authorization: Bearer ${created.deleteToken}`)} ${shellQuote(`${opts.server}/api/incidents/${created.id}`)}`,
      `expires:      ${created.expiresAt}`,
      ...created.warnings.map((w) => `warning:      ${w}`),
    ];
    io.stdout(out.join('\n') + '\n');
    return 0;
  } catch (e) {
    if (e instanceof ShareError) {
      io.stderr(`hopscope share: ${e.message}\n`);
      return e.status;
    }
    if (e instanceof CaptureFormatError || (e instanceof Error && 'syscall' in e)) {
      // The reader's message names the file and the byte offset; fs errors name the path.
      io.stderr(`hopscope share: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  } finally {
    unhook();
    if (tmp !== null) await rm(tmp, { recursive: true, force: true });
  }
}
