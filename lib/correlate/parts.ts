/**
 * One capture written as several files. On a busy node engineers bound a capture's size: tcpdump
 * -C (and -W, a ring of files), tcpdump -G (a file per interval), dumpcap -b. Each interface's
 * capture then comes as `node1-eth0.pcap`, `node1-eth0.pcap1`, … and is still one capture point:
 * its files are joined here, in time order, into one input whose rows remember their file.
 *
 * Joined only where the files really are one capture's: the same node and interface, the same
 * interfaces inside (link types and names), named as a rotation names them, and each file
 * starting where the one before it ended. Two captures of one interface that ran at the same
 * time or one after another (plain names: the time between them was not captured), or numbered
 * files with one missing between them, stay apart, each its own capture point with its own
 * window: joined, the time between would read as a capture that ran and saw nothing.
 */
import { mergeParts } from '../decode/merge-parts';
import type { IndexedCapture } from '../decode/capture-index';
import { baseName } from '../util/names';
import { CAPTURE_FILE, rotationPart } from './labels';
import type { CaptureInput, CapturePart } from './types';

/**
 * How far a file's first packet may come before the previous file's last: tcpdump on several
 * CPUs writes packets microseconds out of order, and a rotation cuts between any two of them.
 */
const OUT_OF_ORDER_NS = 10e6;

/** A file's name without its folder. */
const fileName = (f: CaptureInput) => baseName(f.file);

/** Where a capture's packets start and end, ns since the epoch (NaN without a timestamp). */
function span(c: IndexedCapture): [number, number] {
  const base = c.baseSec * 1e9 + c.baseNsec;
  return Number.isNaN(c.lastNs) ? [NaN, NaN] : [base, base + c.lastNs];
}

/** Whether two captures describe the same interfaces: one capture's files all do. */
function sameInterfaces(a: IndexedCapture, b: IndexedCapture): boolean {
  return a.summary.format === b.summary.format && a.interfaces.length === b.interfaces.length && a.interfaces.every((x, i) => x.linkType === b.interfaces[i]!.linkType && x.name === b.interfaces[i]!.name);
}

/**
 * Numbered files in time order with none missing between: each the one before's number plus
 * one, or back to 0 after the highest (a -W ring that went round). An unnumbered file among
 * numbered ones is tcpdump -C's first, number 0.
 */
function consecutive(numbers: readonly (number | null)[]): boolean {
  if (numbers.every((n) => n === null)) return true;
  const ns = numbers.map((n) => n ?? 0);
  const highest = Math.max(...ns);
  return ns.every((n, k) => k === 0 || n === ns[k - 1]! + 1 || (n === 0 && ns[k - 1] === highest));
}

/**
 * A rotation's files in the order they were written. Numbered files go by their numbers (the
 * unnumbered one is tcpdump -C's first, 0), turned round so that the earliest comes first (a -W
 * ring that went round): by their times, a file of a few packets written microseconds out of
 * order (tcpdump on several CPUs) could start before the one before it. Others by their times,
 * then names.
 */
function inOrder(files: readonly CaptureInput[], number: (f: CaptureInput) => number | null): CaptureInput[] {
  const start = (f: CaptureInput) => span(f.capture)[0];
  const byName = (a: CaptureInput, b: CaptureInput) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0);
  if (files.every((f) => number(f) === null)) return [...files].sort((a, b) => start(a) - start(b) || byName(a, b));
  const byNumber = [...files].sort((a, b) => (number(a) ?? 0) - (number(b) ?? 0) || byName(a, b));
  const first = byNumber.reduce((best, f, k) => (start(f) < start(byNumber[best]!) ? k : best), 0);
  return [...byNumber.slice(first), ...byNumber.slice(0, first)];
}

/**
 * tcpdump -C -w NAME with no extension writes NAME, NAME1, NAME2, …: read from their names,
 * `node1-eth0`, `node1-eth01`, `node1-eth02` are three interfaces. Such a set is one capture's
 * candidate only where NAME itself is there, and the others' numbers run 1, 2, … with none
 * missing: each candidate's files and their numbers (0 for NAME).
 */
function bareRotations(inputs: readonly CaptureInput[]): { files: Map<CaptureInput, number>; stray: CaptureInput[] }[] {
  const bare = inputs.filter((i) => !CAPTURE_FILE.test(fileName(i)) && !rotationPart(i.file));
  // By the path as given: node1/eth0 and node2/eth0 are two captures' first files.
  const byPath = new Map(bare.map((i) => [i.file, i]));
  const out: { files: Map<CaptureInput, number>; stray: CaptureInput[] }[] = [];
  for (const [path, first] of byPath) {
    const files = new Map([[first, 0]]);
    let k = 1;
    for (; byPath.has(`${path}${k}`); k++) files.set(byPath.get(`${path}${k}`)!, k);
    if (files.size < 2) continue;
    // Numbered past a gap: the same capture's files with one missing between, most likely.
    const stray = [...byPath].filter(([p]) => p.startsWith(path) && /^[1-9]\d*$/.test(p.slice(path.length)) && Number(p.slice(path.length)) > k).map(([, i]) => i);
    out.push({ files, stray });
  }
  // A name that is itself another's numbered file (`x1` of `x`) starts no set of its own.
  const numbered = new Set(out.flatMap((m) => [...m.files].filter(([, k]) => k > 0).map(([i]) => i)));
  return out.filter((m) => !numbered.has([...m.files.keys()][0]!));
}

/** The inputs with each capture written as several files joined into one; why any were left apart, in `notes`. */
export function joinRotations(inputs: readonly CaptureInput[], notes: string[]): CaptureInput[] {
  const groups = new Map<string, CaptureInput[]>();
  /** Each file's input as joined (the first file's), null (joined into the first), or relabelled. */
  const joined = new Map<CaptureInput, CaptureInput | null>();
  // Bare names first: joined when their times say one capture; else each stays as its name says
  // (veth1 and veth11 captured at once are two interfaces), with nothing said.
  for (const set of bareRotations(inputs)) {
    const files = [...set.files.keys()];
    const j = join(fileName(files[0]!), files, notes, (f) => set.files.get(f) ?? null);
    if (!j) continue;
    files.forEach((f, k) => joined.set(f, k === 0 ? j : null));
    if (set.stray.length > 0) {
      notes.push(`${set.stray.map(fileName).join(', ')}: numbered as more files of ${fileName(files[0]!)}, but the numbers show one or more files missing before them: each is a capture point of its own, as its name reads`);
    }
  }
  for (const i of inputs) {
    if (joined.has(i)) continue;
    // A name that says no interface (a pcapng of several, dumpcap -i eth0 -i cni0 -b …) is one capture's only where it says a rotation: by its name without it.
    const rotation = rotationPart(i.file);
    if (i.label.source === 'unknown' && !rotation) continue;
    const key = i.label.source === 'unknown' ? rotation!.name : `${i.label.node}/${i.label.interface}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  }
  for (const [name, files] of groups) {
    if (files.length < 2) continue;
    const j = join(name, files, notes);
    if (j) files.forEach((f, k) => joined.set(f, k === 0 ? j : null));
    // Left apart, each is a point of its own: named by its file after the first, so no two points share a name.
    else files.forEach((f, k) => k > 0 && joined.set(f, { ...f, label: { ...f.label, interface: `${f.label.interface} (${fileName(f)})` } }));
  }
  const out: CaptureInput[] = [];
  for (const i of inputs) {
    const j = joined.get(i);
    if (j === undefined) out.push(i);
    else if (j !== null) out.push(j);
  }
  return out;
}

/** `bare`: the files' numbers where their names carry them without an extension (bareRotations). */
function join(name: string, files: readonly CaptureInput[], notes: string[], bare?: (f: CaptureInput) => number | null): CaptureInput | null {
  const list = files.map(fileName).join(', ');
  const rotation = new Map(files.map((f) => [f, bare ? { name, part: bare(f) || null } : rotationPart(f.file)]));
  const number = (f: CaptureInput) => rotation.get(f)?.part ?? null;
  const apart = (why: string) => {
    if (!bare) notes.push(`${list}: all of ${name}, but ${why}: each is a capture point of its own`);
    return null;
  };
  const first = files[0]!;
  if (!files.every((f) => sameInterfaces(f.capture, first.capture))) return apart('their formats or interfaces differ, so they are not one capture\'s files');
  // A file without a packet adds nothing but its name (tcpdump -G opens its first file before a packet comes).
  const empty = files.filter((f) => f.capture.index.count === 0);
  const full = files.filter((f) => f.capture.index.count > 0);
  if (full.some((f) => Number.isNaN(f.capture.lastNs))) return apart('some hold packets without a timestamp, which cannot be put in time order');
  const timed = inOrder(full, number);
  for (let k = 1; k < timed.length; k++) {
    if (span(timed[k]!.capture)[0] < span(timed[k - 1]!.capture)[1] - OUT_OF_ORDER_NS) return apart('they ran at the same time: not one capture written as several files');
  }
  // Files named as a rotation's follow one another by construction; two plain names are two
  // captures, and the time between them was not captured (tcpdump -C leaves only its first file unnumbered).
  if (files.filter((f) => !rotation.get(f)).length > 1) return apart('their names do not say they are one capture written as several files (tcpdump -C, -G, dumpcap -b): captures taken at different times');
  if (!consecutive(timed.map(number))) {
    return apart("the numbers in their names show one or more files missing between them, so that the missing files' time is not taken as a capture that saw nothing");
  }
  // Empty files by name: those named before the first file with packets (a rotation's first file, opened before any packet came) go first.
  const byName = empty.sort((a, b) => (fileName(a) < fileName(b) ? -1 : 1));
  const before = timed.length > 0 ? byName.filter((f) => fileName(f) < fileName(timed[0]!)) : [];
  const ordered = [...before, ...timed, ...byName.filter((f) => !before.includes(f))];
  const merged = timed.length === 0 ? ordered[0]!.capture : joinCaptures(timed.map((f) => f.capture));
  if (!merged) return apart('their packets could not be joined in one index');
  let firstRow = 0;
  const parts = ordered.map((f) => {
    const p = { file: f.file, firstRow, rows: f.capture.index.count };
    firstRow += p.rows;
    return p;
  });
  notes.push(`${ordered.map(fileName).join(', ')}: one capture of ${name} written as ${ordered.length} files (a rotation: tcpdump -C, -G or -W, dumpcap -b), joined in time order`);
  return { file: ordered[0]!.file, capture: merged, label: ordered[0]!.label, parts };
}

/** Captures in time order as one; the first one's interfaces take the others' statistics (mergeParts folds them in): a copy, as each input's capture stays its file's own. */
function joinCaptures(captures: readonly IndexedCapture[]): IndexedCapture | null {
  const head = captures[0]!;
  return mergeParts([{ ...head, interfaces: head.interfaces.map((x) => ({ ...x, stats: x.stats && { ...x.stats } })) }, ...captures.slice(1)], true);
}
