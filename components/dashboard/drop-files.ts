/**
 * Files from a drop or a folder pick: folders are walked, their files named by relative path,
 * and only capture-like names, and the nodes' interface lists (`<node>-links.txt`), are kept
 * from them (a lab folder also holds scenario.json and commands.txt). Files picked one by one are all kept, so a wrong file says why it is wrong.
 */

export const CAPTURE_NAME = /\.(pcapng|pcap|cap|dmp)(\.gz)?$|\.gz$/i;
/** A node's interface list beside its `-i any` capture: `<node>-links.txt` (ip -o link) or `.json` (ip -j link). */
export const LINKS_NAME = /-links\.(txt|json)$/i;
const kept = (name: string) => CAPTURE_NAME.test(name) || LINKS_NAME.test(name);

/**
 * By name, code unit by code unit: the order the CLI gives a folder's files (the order breaks
 * ties between captures in the correlator). localeCompare ordered `_` and `-` otherwise, and
 * its first call, which loads the collation tables, took 12-14 ms of the drop's task in Chromium.
 */
const byName = (a: PickedFile, b: PickedFile) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export interface PickedFile {
  file: File;
  name: string;
}

export interface Picked {
  files: PickedFile[];
  /** Files inside folders left out because their names are not captures'. */
  skipped: string[];
}

/** `<input webkitdirectory>` files carry their path in webkitRelativePath. */
export function fromFileList(list: readonly File[]): Picked {
  const files: PickedFile[] = [];
  const skipped: string[] = [];
  for (const file of list) {
    const rel = (file as File & { webkitRelativePath?: string }).webkitRelativePath;
    if (rel) {
      if (kept(file.name)) files.push({ file, name: rel });
      else skipped.push(rel);
    } else files.push({ file, name: file.name });
  }
  files.sort(byName);
  return { files, skipped };
}

interface Entry {
  isFile: boolean;
  isDirectory: boolean;
  name: string;
  fullPath: string;
  file?(ok: (f: File) => void, fail: (e: unknown) => void): void;
  createReader?(): { readEntries(ok: (entries: Entry[]) => void, fail: (e: unknown) => void): void };
}

async function walk(entry: Entry, out: Picked, inFolder: boolean): Promise<void> {
  if (entry.isFile && entry.file) {
    const file = await new Promise<File>((ok, fail) => entry.file!(ok, fail));
    const name = entry.fullPath.replace(/^\//, '') || file.name;
    if (!inFolder || kept(file.name)) out.files.push({ file, name });
    else out.skipped.push(name);
    return;
  }
  if (entry.isDirectory && entry.createReader) {
    const reader = entry.createReader();
    // readEntries answers in batches (100 in Chromium) until an empty one.
    for (;;) {
      const batch = await new Promise<Entry[]>((ok, fail) => reader.readEntries(ok, fail));
      if (batch.length === 0) break;
      for (const e of batch) await walk(e, out, true);
    }
  }
}

export async function fromDataTransfer(dt: DataTransfer): Promise<Picked> {
  const items = Array.from(dt.items ?? []).filter((i) => i.kind === 'file');
  const entries = items.map((i) => (i as DataTransferItem & { webkitGetAsEntry?(): Entry | null }).webkitGetAsEntry?.() ?? null);
  if (entries.length === 0 || entries.some((e) => e === null)) return fromFileList(Array.from(dt.files ?? []));
  const out: Picked = { files: [], skipped: [] };
  for (const e of entries) await walk(e!, out, false);
  out.files.sort(byName);
  return out;
}
