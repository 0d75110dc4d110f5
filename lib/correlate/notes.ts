/**
 * The correlation's notes on its capture points: what the report tells the engineer about the
 * captures themselves (taken one after another, packets written twice or cut short, tunnels not
 * decoded, a point blind in one direction) before any flow is judged. Each is worded from what
 * the earlier stages counted; nothing here decides a verdict.
 */
import type { BlindSide } from './blind';
import type { OpaqueTraffic, SightingsResult } from './sightings';
import type { CapturePoint, UndecodedTunnel } from './types';

/** Nodes (hosts) with two or more captures of which no two ran at the same time: taken one after another. */
export function takenOneAfterAnother(points: readonly CapturePoint[]): string[] {
  const out: string[] = [];
  for (const node of new Set(points.map((p) => p.host))) {
    const mine = points.filter((p) => p.host === node && p.packets > 0 && p.role !== 'any' && Number.isFinite(p.firstNs)).sort((a, b) => a.firstNs - b.firstNs);
    if (mine.length >= 2 && mine.every((p, i) => i === 0 || p.firstNs > mine[i - 1]!.lastNs)) out.push(node);
  }
  return out;
}

export function sequentialNote(points: readonly CapturePoint[], node: string): string {
  const names = points
    .filter((p) => p.host === node && p.packets > 0 && p.role !== 'any')
    .sort((a, b) => a.firstNs - b.firstNs)
    .map((p) => (p.host === p.node ? p.interface : `${p.node}/${p.interface}`));
  return `${node}'s captures were taken one after another (${names.join(', ')}; no two ran at the same time): each point is judged for the time it ran, a flow seen with its replies at each point is delivered there, and no packet can be followed from one of these points to the next`;
}

/** Packets written twice in a file, then packets the snap length cut, point by point. */
export function recordingNotes(points: readonly CapturePoint[], walk: Pick<SightingsResult, 'doubled'>): string[] {
  const notes: string[] = [];
  for (const p of points) {
    const n = walk.doubled[p.id]!;
    if (n > 0) notes.push(`${p.node}/${p.interface}: ${n} of ${p.packets} packets are written twice in the file, the same packet at the same instant (overlapping captures merged into one?): each is counted once`);
  }
  for (const p of points) {
    if (p.truncated === 0) continue;
    const snap = p.snaplen > 0 && p.snaplen < 65535 ? ` (snap length ${p.snaplen})` : '';
    const matched = 'they are matched on the headers left, and a cut packet is not a lost one';
    const how =
      p.innerCut === 0
        ? matched
        : `${p.innerCut === p.truncated ? 'all of them' : `${p.innerCut} of them`} tunnel packets cut before their inner packet: which flows those carried cannot be told, so no flow inside the tunnel is judged at this point${p.innerCut < p.truncated ? `; the others: ${matched}` : ''}`;
    notes.push(`${p.node}/${p.interface}: ${p.truncated} of ${p.packets} packets are cut short in the file${snap}; ${how}`);
  }
  return notes;
}

/** The tunnels seen but not decoded, with the points that saw them named, not numbered. */
export function undecodedTunnels(opaque: readonly OpaqueTraffic[], points: readonly CapturePoint[]): UndecodedTunnel[] {
  return opaque.map((o) => ({
    tunnel: o.name,
    wire: o.wire,
    src: o.src,
    dst: o.dst,
    // By name: the order the files came in is no order of the tunnel's.
    seenAt: Object.fromEntries([...o.perPoint].map(([p, n]) => [`${points[p]!.node}/${points[p]!.interface}`, n] as const).sort((a, b) => a[0].localeCompare(b[0]))),
  }));
}

export function undecodedNote(u: UndecodedTunnel): string {
  const at = Object.entries(u.seenAt).map(([p, n]) => `${p} ${n}`).join(', ');
  return `${u.src} → ${u.dst}: ${u.tunnel} (${u.wire}), not decoded (${at}); the flows inside cannot be followed, and these packets are no flow of their own`;
}

export function blindNote(p: CapturePoint, b: BlindSide): string {
  return b.proven
    ? `${p.node}/${p.interface} never shows packets ${b.towardsPod ? 'towards' : 'from'} its pod (${b.seen} the other way), though ${b.elsewhere > 0 ? `${p.host}'s other points do${b.towardsPod ? ' and the pod acknowledges what it receives' : ''}` : 'the pod acknowledges what it receives'}: it is blind in that direction (an eBPF datapath, as Cilium's host routing, passes it by, and tcpdump -Q keeps one direction only), and that direction is not judged there`
    : `${p.node}/${p.interface} never shows packets towards its pod (${b.seen} from it), though ${p.host}'s other points do, and the pod sent nothing there that could show whether it received them (no TCP, no echo reply): a capture of one direction (tcpdump -Q in; Cilium's host routing passes the pod's device by) looks the same as everything towards the pod lost on the way, so packets that stop right before it are not observed, neither delivered nor dropped`;
}
