import type { CaptureStats } from '@/lib/decode/stats';

export type HierarchyRow = CaptureStats['hierarchy'][number];

export interface HierarchyNode {
  /** Protocol at this level, e.g. `udp`. */
  name: string;
  /** Full colon-separated stack down to this level, e.g. `eth:ipv4:udp`. */
  path: string;
  depth: number;
  /** Packets whose stack passes through (or ends at) this level, as Wireshark's Protocol Hierarchy counts. */
  packets: number;
  bytes: number;
  children: HierarchyNode[];
}

interface MutableNode extends HierarchyNode {
  /** Packets whose stack ends exactly here. */
  own: { packets: number; bytes: number };
  children: MutableNode[];
}

/**
 * Builds the protocol tree from `hierarchy` rows, which count each packet once under its full
 * layer stack (lib/stats): a level's count is its own packets plus all its children's, as in
 * `tshark -z io,phs`. Siblings are ordered by packets, most first.
 */
export function buildHierarchyTree(rows: readonly HierarchyRow[]): HierarchyNode[] {
  const root: MutableNode = { name: '', path: '', depth: -1, packets: 0, bytes: 0, children: [], own: { packets: 0, bytes: 0 } };
  const index = new Map<string, MutableNode>();

  for (const row of rows) {
    const parts = row.path.split(':').filter(Boolean);
    let parent = root;
    let path = '';
    parts.forEach((name, depth) => {
      path = path ? `${path}:${name}` : name;
      let node = index.get(path);
      if (!node) {
        node = { name, path, depth, packets: 0, bytes: 0, children: [], own: { packets: 0, bytes: 0 } };
        index.set(path, node);
        parent.children.push(node);
      }
      parent = node;
    });
    if (parent === root) continue;
    parent.own.packets += row.packets;
    parent.own.bytes += row.bytes;
  }

  const finish = (n: MutableNode): HierarchyNode => {
    const children = n.children.map(finish).sort((a, b) => b.packets - a.packets || a.name.localeCompare(b.name));
    let { packets, bytes } = n.own;
    for (const c of children) {
      packets += c.packets;
      bytes += c.bytes;
    }
    return { name: n.name, path: n.path, depth: n.depth, packets, bytes, children };
  };

  return root.children.map(finish).sort((a, b) => b.packets - a.packets || a.name.localeCompare(b.name));
}

/** Depth-first order, for rendering the tree as indented table rows. */
export function flattenHierarchy(nodes: readonly HierarchyNode[]): HierarchyNode[] {
  const out: HierarchyNode[] = [];
  const walk = (list: readonly HierarchyNode[]) => {
    for (const n of list) {
      out.push(n);
      walk(n.children);
    }
  };
  walk(nodes);
  return out;
}
