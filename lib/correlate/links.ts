/**
 * A node's interface names by index, from what `ip -o link`, `ip link` or `ip -j link` print
 * there: `tcpdump -i any` (SLL2) records the interface index of the node it ran on, and only
 * the node can say which name that index has. A file `<node>-links.txt` (or `.json`) beside the
 * captures carries it.
 */
import { baseName } from '../util/names';

const LINKS_FILE = /^(.+)-links\.(txt|json)$/i;

/** The node a links file speaks for, from its name (`node1-links.txt` → node1), or null. */
export function linksFileNode(fileName: string): string | null {
  return LINKS_FILE.exec(baseName(fileName))?.[1] ?? null;
}

/** ifindex → name. Accepts `ip -o link`, `ip link` and `ip -j link` output; throws on none of those. */
export function parseLinks(text: string, fileName = 'links file'): Map<number, string> {
  const out = new Map<number, string>();
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (e) {
      throw new Error(`${fileName}: not ip -j link output: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!Array.isArray(parsed)) throw new Error(`${fileName}: not ip -j link output: not a list`);
    for (const l of parsed as { ifindex?: unknown; ifname?: unknown }[]) {
      if (typeof l?.ifindex === 'number' && typeof l.ifname === 'string') out.set(l.ifindex, l.ifname);
    }
  } else {
    // "5: veth3a1b2c4d@if2: <BROADCAST,…> mtu 1450 …": index, name, and the peer after @.
    for (const m of trimmed.matchAll(/^\s*(\d+):\s+([^:@\s]+)(?:@[^:\s]*)?:\s+</gm)) out.set(Number(m[1]), m[2]!);
  }
  if (out.size === 0) throw new Error(`${fileName}: no interface found; expected what ip -o link or ip -j link prints`);
  return out;
}
