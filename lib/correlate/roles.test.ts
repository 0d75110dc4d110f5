/**
 * Roles inferred from traffic (roles.ts): an interface whose name says nothing (Antrea's
 * `<pod>-<hash>` veths, a NIC named `net0`, a custom bridge or tunnel) gets its role from what
 * crossed it. Roles order a flow's path, and the path is where the verdict says packets stop:
 * a bridge taken for the pod's veth puts the stop on the wrong side of the pod. Built here from
 * pings between pods of two flannel (VXLAN) nodes, node1's captures under names no pattern knows.
 */
import { describe, expect, it } from 'vitest';
import { captureInput, pcapOf } from '../testing/in-memory';
import { concatBytes } from '../capture/build';
import { bytes, frame } from '../testing/packets';
import { correlate, type CaptureInput, type Correlation } from './correlate';
import { capturePoints, incidentEpoch } from './points';
import { oneAddress } from './roles';
import { collectSightings } from './sightings';
import { loadInputs } from '../analyze/files';
import { analyze } from '../analyze';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFlow, scenarios } from '../testing/scenarios';

const [A, B] = ['10.244.1.2', '10.244.2.3']; // pods on node1 (the client) and node2
const [C, D] = ['10.244.1.5', '10.244.2.8']; // two more pods, pinging each other
const [NODE1, NODE2] = ['192.168.0.11', '192.168.0.12'];

type Packet = { at: number; bytes: Uint8Array };

/** Capture files made in memory, labelled as the CLI does: the nodes other files name split an unknown name. */
function inputs(files: Map<string, Packet[]>): CaptureInput[] {
  return [...files].map(([file, packets]) => captureInput(file, pcapOf(packets.map((p) => ({ ns: p.at * 1000, bytes: p.bytes }))), ['node1', 'node2']));
}

/** Echo request (8) or reply (0) `seq` of ping `id` from `src`, its IP id and payload its own. */
const echo = (id: number, src: string, dst: string, type: 0 | 8, seq: number, ttl: number) =>
  frame({ src, dst, proto: 'icmp', ttl, ipId: id + (type === 8 ? 100 : 500) + seq, icmp: { type, code: 0, id, seq }, payload: bytes(56, id + seq) });
const vxlan = (inner: Uint8Array, back: boolean, ipId: number) =>
  frame({ src: back ? NODE2 : NODE1, dst: back ? NODE1 : NODE2, proto: 'udp', ipId, df: false, sport: 51234, dport: 8472, payload: concatBytes(Uint8Array.of(8, 0, 0, 0, 0, 0, 1, 0), inner) });

/** A capture on the ping's way: its file, the TTLs the requests and replies have there, whether it holds them in the tunnel. */
type Hop = { file: string; req: number; rep: number; tunnel?: true };

/**
 * Three pings of ping `id` from `src` on node1 to `dst` on node2, across the points given in
 * path order, with the TTL each way has there: a routing hop takes one, the tunnel none.
 */
function pings(files: Map<string, Packet[]>, id: number, src: string, dst: string, hops: Hop[]): void {
  for (let seq = 1; seq <= 3; seq++) {
    hops.forEach((h, k) => {
      const wrap = (f: Uint8Array, back: boolean) => (h.tunnel ? vxlan(f, back, id + (back ? 900 : 700) + seq) : f);
      const t = seq * 1_000_000 + id;
      const list = files.get(h.file) ?? [];
      list.push({ at: t + k * 20, bytes: wrap(echo(id, src, dst, 8, seq, h.req), false) }, { at: t + 500 + (hops.length - k) * 20, bytes: wrap(echo(id, dst, src, 0, seq, h.rep), true) });
      files.set(h.file, list);
    });
  }
}

const NODE2_HOPS = [
  { file: 'node2-eth0.pcap', req: 63, rep: 63, tunnel: true as const },
  { file: 'node2-flannel.1.pcap', req: 63, rep: 63 },
  { file: 'node2-cni0.pcap', req: 62, rep: 64 },
  { file: 'node2-veth1.pcap', req: 62, rep: 64 },
];
/** The notes saying an inferred role is in doubt (roles.ts doubtNote). */
const doubt = (notes: string[]) => notes.filter((n) => n.includes('may be the overlay device'));
/** node1's one inner capture (the ping's TTLs there, out and back) beside ens5, a NIC by its name, which carries the tunnel. */
const besideEns5 = (file: string, req: number, rep: number, [nicReq, nicRep] = [63, 63]): Hop[] => [
  { file, req, rep },
  { file: 'node1-ens5.pcap', req: nicReq, rep: nicRep, tunnel: true },
];
/** ens5's row of roles(): a NIC, as its name says. */
const ENS5 = ['ens5', 'nic', 'name'];
const roles = (c: Correlation, node: string) => c.points.filter((p) => p.node === node).map((p) => [p.interface, p.role, p.roleSource]);

describe('inferRoles', () => {
  it("places node1's unnamed interfaces from a ping: the VXLAN carrier is the NIC, the one past the TTL drop the overlay, the pod's veth before the bridge", () => {
    const files = new Map<string, Packet[]>();
    // flannel's path under other names: the pod's veth, cni0, flannel.1 (which routes: TTL - 1), eth0.
    const node1 = [
      { file: 'node1-web-6f9c7.pcap', req: 64, rep: 62 },
      { file: 'node1-gw0.pcap', req: 64, rep: 62 },
      { file: 'node1-tnl0.pcap', req: 63, rep: 63 },
      { file: 'node1-net0.pcap', req: 63, rep: 63, tunnel: true as const },
    ];
    pings(files, 0x1234, A, B, [...node1, ...NODE2_HOPS]);
    const c = correlate(inputs(files));
    expect(roles(c, 'node1')).toEqual([
      ['web-6f9c7', 'pod', 'inferred'],
      ['gw0', 'bridge', 'inferred'],
      ['tnl0', 'overlay', 'inferred'],
      ['net0', 'nic', 'inferred'],
    ]);
    // node2's names say their roles: nothing is inferred there.
    expect(roles(c, 'node2').every(([, , source]) => source === 'name')).toBe(true);
    expect(c.notes).toContain('node1: roles inferred from what crossed the interfaces: web-6f9c7 pod, gw0 bridge, tnl0 overlay, net0 nic (correct them with --role node1/IFACE=ROLE)');
    // In the app, where --role means nothing, the note points at the table that sets roles.
    const app = correlate(inputs(files), { roleHints: 'app' });
    expect(app.notes).toContain('node1: roles inferred from what crossed the interfaces: web-6f9c7 pod veth, gw0 bridge / gateway, tnl0 overlay device, net0 node NIC (correct them in the capture points table)');
    // With the roles known, the ping's path runs through node1's points from the pod outwards.
    const f = c.flows.find((x) => x.client === A)!;
    expect(f.path.slice(0, 4).map((p) => c.points[p]!.interface)).toEqual(['web-6f9c7', 'gw0', 'tnl0', 'net0']);
  });

  it('calls a lone unnamed interface inside the node a pod veth when one pod is in every packet it carried, else the bridge', () => {
    // Beside ens5 (a NIC by its name), one capture of the pod side: one pod's pings, then two pods'.
    const side = besideEns5('node1-web-6f9c7.pcap', 64, 62);
    const onePod = new Map<string, Packet[]>();
    pings(onePod, 0x1234, A, B, side);
    expect(roles(correlate(inputs(onePod)), 'node1')).toEqual([
      ['web-6f9c7', 'pod', 'inferred'],
      ENS5,
    ]);
    const twoPods = new Map<string, Packet[]>();
    pings(twoPods, 0x1234, A, B, side);
    pings(twoPods, 0x4321, C, D, side);
    expect(roles(correlate(inputs(twoPods)), 'node1')).toEqual([
      ['web-6f9c7', 'bridge', 'inferred'],
      ENS5,
    ]);
  });

  it("says it cannot tell a lone unnamed interface whose packets left already routed: the overlay device's or a routing pod's veth", () => {
    // Only the tunnel device and the NIC captured on node1: leaving, the pod's 64 is 63 there
    // (routed), arriving it keeps the tunnel's. A pod that routes itself (Docker in Docker,
    // KubeVirt) sends 63 from its veth too, and Antrea does not route arriving packets again: the
    // TTLs are the same. The addresses decide, as before, and a note says which way it may go.
    const lone = new Map<string, Packet[]>();
    pings(lone, 0x1234, A, B, [...besideEns5('node1-tnl0.pcap', 63, 63), ...NODE2_HOPS]);
    const c = correlate(inputs(lone));
    expect(roles(c, 'node1')).toEqual([
      ['tnl0', 'pod', 'inferred'],
      ENS5,
    ]);
    expect(doubt(c.notes)).toEqual([
      "node1: tnl0, taken for a pod veth (one address in all its packets), may be the overlay device: its packets left already routed (a TTL one below what hosts send) and came back with the tunnel's TTL, as a tunnel device's do and a routing pod's may; if it is the tunnel device, correct it with --role node1/tnl0=overlay",
    ]);
    expect(doubt(correlate(inputs(lone), { roleHints: 'app' }).notes)[0]).toMatch(/; if it is the tunnel device, correct it in the capture points table: node1\/tnl0 as overlay device$/);
    // Told, it is the overlay device, and nothing is left in doubt.
    const told = correlate(inputs(lone), { roles: new Map([['node1/tnl0', 'overlay']]) });
    expect(roles(told, 'node1')).toEqual([
      ['tnl0', 'overlay', 'user'],
      ENS5,
    ]);
    expect(doubt(told.notes)).toEqual([]);

    // A routing pod's veth whose requests went unanswered: nothing came back to tell.
    const unanswered = new Map<string, Packet[]>();
    pings(unanswered, 0x1234, A, B, besideEns5('node1-web-6f9c7.pcap', 63, 63));
    for (const list of unanswered.values()) list.splice(0, list.length, ...list.filter((_, k) => k % 2 === 0));
    const u = correlate(inputs(unanswered));
    expect(roles(u, 'node1')).toEqual([
      ['web-6f9c7', 'pod', 'inferred'],
      ENS5,
    ]);
    expect(doubt(u.notes)).toHaveLength(1);
    expect(doubt(u.notes)[0]).toContain('web-6f9c7, taken for a pod veth');
    expect(doubt(u.notes)[0]).toContain('none came back through it');
  });

  it('has no doubt where the TTLs tell: a pod sending 64, or arriving packets routed once more before the veth', () => {
    // Antrea-like: arriving packets keep the tunnel's TTL at the veth, but the pod sent 64.
    const flat = new Map<string, Packet[]>();
    pings(flat, 0x1234, A, B, [...besideEns5('node1-web-6f9c7.pcap', 64, 63), ...NODE2_HOPS]);
    const f = correlate(inputs(flat));
    expect(roles(f, 'node1')).toEqual([
      ['web-6f9c7', 'pod', 'inferred'],
      ENS5,
    ]);
    expect(doubt(f.notes)).toEqual([]);
    // flannel-like, a pod that routes (63 out): arriving packets were routed again (62), so it is past the overlay.
    const routing = new Map<string, Packet[]>();
    pings(routing, 0x1234, A, B, [...besideEns5('node1-web-6f9c7.pcap', 63, 62, [62, 63]), ...NODE2_HOPS]);
    const r = correlate(inputs(routing));
    expect(roles(r, 'node1')[0]).toEqual(['web-6f9c7', 'pod', 'inferred']);
    expect(doubt(r.notes)).toEqual([]);
  });

  it("keeps a routing pod's veth, its bridge and the tunnel device in their order when no reply came", () => {
    // The pod sends 63; the tunnel device routes once more (62). Only requests: the leaving
    // order and the TTL drop place the three, whatever the pod's own TTL.
    const files = new Map<string, Packet[]>();
    pings(files, 0x1234, A, B, [
      { file: 'node1-web-6f9c7.pcap', req: 63, rep: 61 },
      { file: 'node1-gw0.pcap', req: 63, rep: 61 },
      { file: 'node1-tnl0.pcap', req: 62, rep: 62 },
      { file: 'node1-net0.pcap', req: 62, rep: 62, tunnel: true as const },
    ]);
    for (const list of files.values()) list.splice(0, list.length, ...list.filter((_, k) => k % 2 === 0));
    const c = correlate(inputs(files));
    expect(roles(c, 'node1')).toEqual([
      ['web-6f9c7', 'pod', 'inferred'],
      ['gw0', 'bridge', 'inferred'],
      ['tnl0', 'overlay', 'inferred'],
      ['net0', 'nic', 'inferred'],
    ]);
    expect(doubt(c.notes)).toEqual([]);
  });

  it('leaves unnamed interfaces "other", as their names say, when no NIC on their node shows which way packets went', () => {
    const files = new Map<string, Packet[]>();
    pings(files, 0x1234, A, B, [{ file: 'node1-web-6f9c7.pcap', req: 64, rep: 62 }, { file: 'node1-gw0.pcap', req: 64, rep: 62 }, ...NODE2_HOPS]);
    const c = correlate(inputs(files));
    expect(roles(c, 'node1')).toEqual([
      ['web-6f9c7', 'other', 'name'],
      ['gw0', 'other', 'name'],
    ]);
    expect(c.notes.filter((n) => n.includes('roles inferred'))).toEqual([]);
  });
});

const healthy = scenarios().find((x) => x.truth.name === 'vxlan-healthy');
if (!healthy) console.log('[roles] no vxlan-healthy in sample-captures/: skipping the lab case');

describe.skipIf(!healthy)('inferRoles on the lab\'s captures', () => {
  it("says flannel.1, captured alone beside node1's eth0 under a name no pattern knows, may be the overlay device, and has no doubt of pod-a's veth so", async () => {
    // The lab's vxlan-healthy, of node1 only its flannel.1 (copied as tnl0) and eth0: the
    // device is the lab's VXLAN device by construction, and every flow crossed it both ways.
    const { dir, truth } = healthy!;
    const tmp = mkdtempSync(join(tmpdir(), 'hopscope-roles-'));
    copyFileSync(join(dir, 'node1-flannel.1.pcap'), join(tmp, 'node1-tnl0.pcap'));
    const files = [join(tmp, 'node1-tnl0.pcap'), ...truth.capturePoints.filter((c) => c.node === 'node2' || c.interface === 'eth0').map((c) => join(dir, c.file))];
    const { inputs: loaded } = await loadInputs(files, new Map());
    const { report } = analyze(loaded, {});
    expect(doubt(report.notes).filter((n) => n.includes('--role node1/tnl0=overlay'))).toHaveLength(1);
    for (const tf of truth.flows) expect(findFlow(report.flows, tf)?.verdict.kind, tf.id).toBe('delivered');
    // Told so, it is the overlay device on every flow's path.
    const told = analyze(loaded, { roles: new Map([['node1/tnl0', 'overlay']]) }).report;
    for (const tf of truth.flows) {
      const f = findFlow(told.flows, tf);
      expect(f?.verdict.kind, tf.id).toBe('delivered');
      expect(f!.hops.find((h) => h.interface === 'tnl0')?.role, tf.id).toBe('overlay');
    }
    // pod-a's own veth, alone beside eth0 under such a name: the pod's, in no doubt (pod-a sends 64).
    const veth = truth.capturePoints.find((c) => c.node === 'node1' && c.interface.startsWith('veth'))!;
    copyFileSync(join(dir, veth.file), join(tmp, 'node1-web-6f9c7.pcap'));
    const podSide = analyze((await loadInputs([join(tmp, 'node1-web-6f9c7.pcap'), ...files.slice(1)], new Map())).inputs, {}).report;
    const pod = podSide.captures.find((c) => c.interface === 'web-6f9c7')!;
    expect([pod.role, pod.roleSource]).toEqual(['pod', 'inferred']);
    expect(doubt(podSide.notes)).toEqual([]);
  });
});

describe('oneAddress', () => {
  it('holds at a point where one address is the source or destination of every packet, and not where no address is', () => {
    const files = new Map<string, Packet[]>();
    const one = (file: string) => ({ file, req: 64, rep: 64 });
    // B answers both A and C at the first point; A and C ping different pods at the second; only A's pings cross the third; none the fourth.
    pings(files, 0x1111, A, B, [one('node1-p1.pcap'), one('node1-p2.pcap'), one('node1-p3.pcap')]);
    pings(files, 0x2222, C, B, [one('node1-p1.pcap')]);
    pings(files, 0x3333, C, D, [one('node1-p2.pcap')]);
    files.set('node1-p4.pcap', []);
    const caps = inputs(files);
    const layout = capturePoints(caps);
    const w = collectSightings(caps, layout, incidentEpoch(caps));
    expect(layout.points.map((p) => p.interface)).toEqual(['p1', 'p2', 'p3', 'p4']);
    // The fourth point ran and saw nothing: no address is in common there.
    expect([0, 1, 2, 3].map((p) => oneAddress(p, w))).toEqual([true, false, true, false]);
  });
});
