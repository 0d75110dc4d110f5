/**
 * The recorded lab scenarios (sample-captures/): every file decodes with the project's readers,
 * and every number in scenario.json's flows is what the packets say, recomputed from scratch.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../capture/node';
import type { CaptureInterface } from '../capture/types';
import { decodePacket } from '../decode/decode-packet';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW } from '../protocols/numbers';
import { readFile } from 'node:fs/promises';
import { loadCapture, parseIpLink } from './ground-truth';
import { listScenarios, loadScenario, observeAll, observeScenario, SAMPLE_CAPTURES_DIR } from './samples';
import type { Flow, HealthyFlow, ScenarioFile } from './scenario';

const names = await listScenarios();
const MAX_SCENARIO_BYTES = 400 * 1024;
const MAX_TOTAL_BYTES = 6 * 1024 * 1024;
/** Client outcomes that mean some reply made it back to the client. */
const ANSWERED = new Set(['response', 'reset', 'refused', 'partial', 'response-timeout']);

/** A scenario folder's bytes, its subfolders' (rotated/) included. */
async function folderBytes(dir: string): Promise<number> {
  let n = 0;
  for (const f of await readdir(dir)) {
    const st = await stat(join(dir, f));
    n += st.isDirectory() ? await folderBytes(join(dir, f)) : st.size;
  }
  return n;
}

describe('sample-captures', () => {
  it('has the lab\'s scenarios, within the size budget', async () => {
    expect(names.length).toBeGreaterThanOrEqual(10);
    let total = 0;
    for (const n of names) {
      const bytes = await folderBytes(join(SAMPLE_CAPTURES_DIR, n));
      expect(bytes, n).toBeLessThan(MAX_SCENARIO_BYTES);
      total += bytes;
    }
    expect(total).toBeLessThan(MAX_TOTAL_BYTES);
  });

  it('covers the three CNIs, a healthy baseline for each, and the classic faults', async () => {
    const all = await Promise.all(names.map((n) => loadScenario(n)));
    for (const cni of ['flannel-vxlan', 'flannel-udp', 'calico-ipip']) {
      expect(all.some((s) => s.cni === cni && s.fault === null), `${cni} healthy`).toBe(true);
    }
    const kinds = new Set(all.map((s) => s.fault?.kind));
    for (const k of ['forward-policy-drop', 'ip-forward-off', 'vxlan-device-down', 'overlay-port-blocked', 'wrong-port', 'mtu-mismatch', 'mtu-blackhole', 'return-path-drop']) {
      expect(kinds.has(k), k).toBe(true);
    }
    expect(all.some((s) => s.topology.services.length > 0)).toBe(true);
    expect(all.some((s) => s.topology.outside.length > 0 && s.fault !== null)).toBe(true);
  });
});

describe.each(names)('%s', (name) => {
  const dir = join(SAMPLE_CAPTURES_DIR, name);
  let scenario: ScenarioFile;
  const load = async (): Promise<ScenarioFile> => (scenario ??= await loadScenario(name));

  it('describes its topology, fault and flows consistently', async () => {
    const s = await load();
    expect(s.name).toBe(name);
    const points = new Set(s.capturePoints.map((p) => p.id));
    expect(points.size).toBe(s.capturePoints.length);
    // Behind an -i any capture with interface indexes, the node's devices are points too.
    for (const p of s.capturePoints) if (p.ifindex && p.linkType === LINKTYPE_LINUX_SLL2) for (const n of Object.values(p.ifindex)) points.add(`${p.node}/${n}`);
    for (const p of s.capturePoints) {
      expect(p.file).toBe(`${p.node}-${p.interface}.pcap`);
      expect(p.id).toBe(`${p.node}/${p.interface}`);
    }
    const hosts = new Set([...s.topology.nodes.map((n) => n.name), ...s.topology.pods.map((p) => p.name), ...s.topology.outside.map((o) => o.name)]);
    if (s.fault) {
      expect(hosts.has(s.fault.node), s.fault.node).toBe(true);
      expect(s.fault.commands.length).toBeGreaterThan(0);
      for (const c of s.fault.commands) expect(hosts.has(c.host), c.host).toBe(true);
    }
    // The kit's bundles: one per node, named by the node, for the pods it lists.
    if (s.kit) {
      expect(s.kit.bundles.sort()).toEqual(s.topology.nodes.map((n) => `${n.name}-hopscope.tar.gz`).sort());
      for (const b of s.kit.bundles) expect((await stat(join(dir, b))).size, b).toBeGreaterThan(0);
      expect(s.kit.pods.length).toBeGreaterThan(0);
    }
    expect(s.flows.length).toBeGreaterThan(0);
    for (const f of [...s.flows, ...(s.healthy ?? [])] as Array<Flow | HealthyFlow>) {
      for (const p of f.path) expect(points.has(p), `${f.id} path ${p}`).toBe(true);
      for (const d of [f.requests, f.replies]) {
        for (const p of Object.keys(d.seenAt)) expect(points.has(p), `${f.id} ${p}`).toBe(true);
        if (d.lastReached !== null) {
          expect(f.path).toContain(d.lastReached);
          expect(d.seenAt[d.lastReached]).toBeGreaterThan(0);
        }
      }
      expect(f.requests.sent).toBe(f.requests.seenAt[f.path[0]!] ?? 0);
      expect(f.replies.sent).toBe(f.replies.seenAt[f.path[f.path.length - 1]!] ?? 0);
      // What the client application reported agrees with what its own veth saw. Schema 2 has
      // captures that start late or stop early: a flow outside the client side's window is only
      // required to be seen somewhere.
      // A client-side point captured one way only (flows[].blind) cannot show the replies: the
      // first point of the way back that can is the client side.
      const clientSide = f.path.find((p) => !f.blind?.replies.includes(p)) ?? f.path[0]!;
      const backAtClient = (f.replies.seenAt[clientSide] ?? 0) > 0;
      // An answer is a reply, or an ICMP error about a request (port unreachable: 'refused').
      const answered = backAtClient || f.icmpErrors.some((e) => e.about === 'request' && (e.seenAt[f.path[0]!] ?? 0) > 0);
      const clientSideSaw = f.requests.sent > 0;
      if (ANSWERED.has(f.clientResult.outcome) && clientSideSaw) expect(answered, `${f.id}: ${f.clientResult.outcome}`).toBe(true);
      if (f.clientResult.outcome === 'timeout') expect(backAtClient, `${f.id}: timeout`).toBe(false);
      if (s.schema < 2) expect(f.requests.sent, `${f.id} left the client`).toBeGreaterThan(0);
      else expect(Object.values(f.requests.seenAt).reduce((a, b) => a + b, 0), `${f.id} was captured`).toBeGreaterThan(0);
    }
  });

  it('has capture files that decode with the project\'s readers', async () => {
    const s = await load();
    for (const p of s.capturePoints) {
      const cap = await loadCapture(join(dir, p.file));
      expect(cap.summary.warnings, p.file).toEqual([]);
      expect(cap.summary.format).toBe('pcap');
      expect(cap.summary.packets, p.file).toBe(p.packets);
      expect(cap.indexed.index.count).toBe(p.packets);
      expect(cap.linkTypes[0], p.file).toBe(p.linkType);
      if (p.interface === 'any') expect([LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2]).toContain(p.linkType);
      else expect([LINKTYPE_ETHERNET, LINKTYPE_RAW]).toContain(p.linkType);
      if (p.snaplen !== undefined) expect(cap.snaplen, p.file).toBe(p.snaplen);
    }
    for (const x of s.extraCaptures) {
      const cap = await loadCapture(join(dir, x.file));
      expect(cap.summary.warnings).toEqual([]);
      expect(cap.summary.packets).toBe(x.packets);
      expect([LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2]).toContain(x.linkType);
      expect(cap.linkTypes[0]).toBe(x.linkType);
    }
  });

  it('has packets that decode without errors', async () => {
    const s = await load();
    const files = [...s.capturePoints.map((p) => p.file), ...s.extraCaptures.map((x) => x.file)];
    for (const file of files) {
      const linkTypes: number[] = [];
      const problems: string[] = [];
      await readCaptureFile(join(dir, file), {
        onInterface: (i: CaptureInterface) => void (linkTypes[i.id] = i.linkType),
        onPacket(rec) {
          const pkt = decodePacket(rec.buf.subarray(rec.offset, rec.offset + rec.capLen), linkTypes[rec.interfaceId] ?? -1);
          // A record cut by the snap length is truncated by design; any other truncation is not.
          const cut = rec.capLen < rec.origLen;
          if (pkt.errors.length > 0 || (pkt.truncated && !cut)) problems.push(`frame ${rec.frameNumber}: ${pkt.errors.map((e) => e.message).join('; ')}${pkt.truncated ? ' truncated' : ''}`);
        },
      });
      expect(problems, file).toEqual([]);
    }
  });

  it('has a pcapng copy with every capture point as a named interface', async () => {
    const s = await load();
    if (s.pcapng === null) {
      expect(s.schema, 'only schema 2 may go without').toBeGreaterThanOrEqual(2);
      return;
    }
    const ifaces: CaptureInterface[] = [];
    const summary = await readCaptureFile(join(dir, s.pcapng!.file), { onInterface: (i) => void ifaces.push(i), onPacket() {} });
    expect(summary.format).toBe('pcapng');
    expect(summary.warnings).toEqual([]);
    expect(ifaces.map((i) => i.name)).toEqual(s.capturePoints.map((p) => p.id));
    expect(ifaces.map((i) => i.linkType)).toEqual(s.capturePoints.map((p) => p.linkType));
    expect(summary.packets).toBe(s.pcapng!.packets);
    expect(summary.packets).toBe(s.capturePoints.reduce((n, p) => n + p.packets, 0));
  });

  it('has flows whose recorded story is what the packets show', async () => {
    const s = await load();
    const observed = await observeScenario(s);
    for (const [i, f] of s.flows.entries()) {
      const o = observed[i]!;
      expect(o.id).toBe(f.id);
      expect(o.requests, `${f.id} requests`).toEqual(f.requests);
      expect(o.replies, `${f.id} replies`).toEqual(f.replies);
      expect(o.icmpErrors, `${f.id} ICMP errors`).toEqual(f.icmpErrors);
      if (f.protocol === 'tcp') expect(o.learned.tcpIsn, `${f.id} ISN`).toBe(f.match.tcpIsn);
    }
  });

  it('has healthy flows, background and capture windows that are what the packets show (schema 2)', async () => {
    const s = await load();
    if (s.schema < 2) {
      expect(s.healthy).toBeUndefined();
      return;
    }
    expect(s.healthy).toBeDefined();
    const o = await observeAll(s);
    for (const [i, f] of s.healthy!.entries()) {
      const h = o.healthy[i]!;
      expect(h.id).toBe(f.id);
      expect(f.clientResult.outcome, `${f.id} worked`).toBe('response');
      expect(h.requests, `${f.id} requests`).toEqual(f.requests);
      expect(h.replies, `${f.id} replies`).toEqual(f.replies);
      expect(h.icmpErrors, `${f.id} ICMP errors`).toEqual(f.icmpErrors);
      if (f.protocol === 'tcp') expect(h.learned.tcpIsn, `${f.id} ISN`).toBe(f.match.tcpIsn);
    }
    expect(o.background).toEqual(s.background);
    expect(o.windows).toEqual(s.windows);
    const ids = [...s.flows, ...s.healthy!].map((f) => f.id);
    expect(new Set(ids).size, 'flow ids are unique').toBe(ids.length);
  });

  it('has, beside every -i any capture, the node\'s `ip -o link` and its index map (schema 2)', async () => {
    const s = await load();
    for (const p of s.capturePoints.filter((x) => x.interface === 'any')) {
      if (s.schema < 2) continue;
      expect(p.links, p.file).toBe(`${p.node}-links.txt`);
      const text = await readFile(join(dir, p.links!), 'utf8');
      expect(parseIpLink(text)).toEqual(p.ifindex);
      expect(Object.values(p.ifindex!)).toContain('eth0');
    }
  });
});
