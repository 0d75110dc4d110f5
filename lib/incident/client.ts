/**
 * The browser's side of sharing: the form the API takes, the upload with progress, and the
 * owner's delete tokens. No Node imports: this runs in the page.
 */
import { uniqueName } from '../util/names';
import { labelFromFileName } from '../correlate/labels';
import type { FlowReport } from '../verdict/verdict';
import type { FlowComment, IncidentCreated, IncidentMeta } from './types';

export type ShareCreated = IncidentCreated;

export interface ShareFile {
  name: string;
  blob: Blob;
  label: { node: string; interface: string } | null;
}

/**
 * What names a flow across analyses: protocol and endpoints as the client saw them. Flow ids
 * are positions in one analysis; a comment must find its flow in the colleague's analysis too.
 */
export function flowKey(f: Pick<FlowReport, 'protocol' | 'client' | 'clientPort' | 'server' | 'serverPort' | 'icmpId'>): string {
  const end = (addr: string, port: number | null) => (port === null ? addr : addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`);
  const id = f.icmpId === null ? '' : ` id ${f.icmpId}`;
  return `${f.protocol.toUpperCase()} ${end(f.client, f.clientPort)} → ${end(f.server, f.serverPort)}${id}`;
}

/**
 * Upload names, unique as the API requires. A second `eth0.pcap` becomes `eth0 (2).pcap`;
 * a file whose capture point came from its name keeps that point as an explicit label.
 */
export function uniqueUploadNames(files: readonly { name: string; label: ShareFile['label'] }[]): { name: string; label: ShareFile['label'] }[] {
  const taken = new Set<string>();
  return files.map(({ name, label }) => {
    const base = name.replace(/^.*[\\/]/, '');
    const unique = uniqueName(base, taken);
    return { name: unique, label: unique === base ? label : (label ?? labelFromFileName(base)) };
  });
}

export function shareForm(input: { files: ShareFile[]; title: string; notes: string; comments: FlowComment[]; headersOnly: boolean }): FormData {
  const form = new FormData();
  form.set('title', input.title);
  form.set('notes', input.notes);
  form.set('headersOnly', String(input.headersOnly));
  const labels: Record<string, { node: string; interface: string }> = {};
  for (const f of input.files) if (f.label) labels[f.name] = f.label;
  form.set('labels', JSON.stringify(labels));
  form.set('comments', JSON.stringify(input.comments));
  // Fields first, then files: the server reads fields and files as they stream in.
  for (const f of input.files) form.append('file', f.blob, f.name);
  return form;
}

export class ShareError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function errorOf(status: number, text: string): Promise<ShareError> {
  try {
    const body = JSON.parse(text) as { error?: string };
    if (body.error) return new ShareError(status, body.error);
  } catch {
    /* not JSON: a proxy's page */
  }
  return new ShareError(status, `the server answered ${status}${text ? `: ${text.slice(0, 200)}` : ''}`);
}

/** POST the form with upload progress (fetch has none), resolving with the server's answer. */
export function uploadIncident(form: FormData, onProgress: (sent: number, total: number) => void, signal?: AbortSignal): Promise<ShareCreated> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/incidents');
    xhr.responseType = 'text';
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : 0);
    xhr.onload = () => {
      if (xhr.status === 201) resolve(JSON.parse(xhr.responseText) as ShareCreated);
      else void errorOf(xhr.status, xhr.responseText).then(reject);
    };
    xhr.onerror = () => reject(new ShareError(0, 'the upload failed: the server could not be reached or closed the connection'));
    xhr.onabort = () => reject(new ShareError(0, 'the upload was cancelled'));
    signal?.addEventListener('abort', () => xhr.abort());
    xhr.send(form);
  });
}

export async function deleteSharedIncident(id: string, token: string): Promise<void> {
  const res = await fetch(`/api/incidents/${encodeURIComponent(id)}`, { method: 'DELETE', headers: { Authorization: `Bearer ${token}` } });
  if (res.status !== 204) throw await errorOf(res.status, await res.text());
}

/** Download one shared file with progress; a File named as it was shared. */
export async function downloadSharedFile(meta: IncidentMeta, index: number, onProgress: (bytes: number) => void): Promise<File> {
  const f = meta.files[index]!;
  const res = await fetch(`/api/incidents/${encodeURIComponent(meta.id)}/files/${index}`);
  if (!res.ok || !res.body) throw await errorOf(res.status, await res.text());
  const parts: Uint8Array<ArrayBuffer>[] = [];
  let n = 0;
  const reader = res.body.getReader();
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    parts.push(r.value as Uint8Array<ArrayBuffer>);
    n += r.value.length;
    onProgress(n);
  }
  if (n !== f.size) throw new ShareError(res.status, `${f.name}: ${n} of ${f.size} bytes arrived`);
  return new File(parts, f.name);
}

const TOKENS_KEY = 'hopscope.deleteTokens';

/** The owner's tokens, kept in this browser so "Delete" works here later without the link. */
export function rememberDeleteToken(id: string, token: string): void {
  try {
    const all = JSON.parse(localStorage.getItem(TOKENS_KEY) ?? '{}') as Record<string, string>;
    all[id] = token;
    localStorage.setItem(TOKENS_KEY, JSON.stringify(all));
  } catch {
    /* storage disabled: the delete link still works */
  }
}

export function rememberedDeleteToken(id: string): string | null {
  try {
    return (JSON.parse(localStorage.getItem(TOKENS_KEY) ?? '{}') as Record<string, string>)[id] ?? null;
  } catch {
    return null;
  }
}

export function forgetDeleteToken(id: string): void {
  try {
    const all = JSON.parse(localStorage.getItem(TOKENS_KEY) ?? '{}') as Record<string, string>;
    delete all[id];
    localStorage.setItem(TOKENS_KEY, JSON.stringify(all));
  } catch {
    /* nothing kept */
  }
}

/** The owner's delete link: the token rides in the fragment, which browsers never send. */
export function deleteLink(url: string, token: string): string {
  return `${url}#delete=${encodeURIComponent(token)}`;
}
