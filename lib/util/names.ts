/**
 * The one rule that makes a file name unique among others: `eth0.pcap`, then `eth0 (2).pcap`,
 * `eth0 (3).pcap`… (the extension, `.gz` included, stays last). Used for upload names, the
 * dashboard's file keys and the CLI's clashing names.
 */
const EXT = /\.(pcapng|pcap|cap)(\.gz)?$/i;

/** `name` if it is not taken, else the first `stem (n).ext` that is not; the result is added to `taken`. */
export function uniqueName(name: string, taken: Set<string>): string {
  let out = name;
  if (taken.has(out)) {
    const dot = name.search(EXT);
    const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
    for (let n = 2; taken.has((out = `${stem} (${n})${ext}`)); n++);
  }
  taken.add(out);
  return out;
}

/** A path's last part, whichever separator it uses (a browser's file name has none). */
export function baseName(path: string): string {
  return path.replace(/^.*[\\/]/, '');
}
