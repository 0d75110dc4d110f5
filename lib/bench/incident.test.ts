/**
 * The benchmark incident, read back without the analyzer: pcap-parser (an npm package) reads
 * the records and the few headers needed are parsed here, so the forms each capture point holds
 * are checked against the wire facts, not against our decoders. Then the analyzer is run on it
 * and held against what was generated.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze, type AnalysisReport } from '../analyze';
import { expand, loadInputs } from '../analyze/files';
import {
  BROKEN_FLOW,
  CAPTURE_POINTS,
  ensureBenchIncident,
  generateIncident,
  INCIDENT_SEED,
  NODE1,
  NODE2,
  NODE2_CLOCK_AHEAD_NS,
  POD_A,
  POD_B,
  POINT,
  SERVICES,
  type BenchIncident,
} from './incident';
import { ipv4, ipv4Text } from './incident/cluster';
import { judge, type Judgement } from './incident/judge';

const PACKETS = 30_000;

// ---------------------------------------------------------------------------------------------
// An independent reader: pcap-parser for the records, a few lines per header for the rest.

interface ParsedRecord {
  header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number };
  data: Buffer;
}
const pcapParser = createRequire(import.meta.url)('pcap-parser') as { parse(input: string): NodeJS.EventEmitter };

function readPcap(file: string): Promise<{ linkType: number; magic: number; records: ParsedRecord[] }> {
  return new Promise((resolve, reject) => {
    const records: ParsedRecord[] = [];
    let header: { linkLayerType: number; magicNumber: number } | undefined;
    const p = pcapParser.parse(file);
    p.on('globalHeader', (h: { linkLayerType: number; magicNumber: number }) => (header = h));
    p.on('packet', (r: ParsedRecord) => records.push(r));
    p.on('error', reject);
    p.on('end', () => (header ? resolve({ linkType: header.linkLayerType, magic: header.magicNumber, records }) : reject(new Error(`${file}: no header`))));
  });
}

function sum16(b: Uint8Array, start: number, end: number, initial = 0): number {
  let s = initial;
  for (let i = start; i < end; i += 2) s += (b[i]! << 8) | (i + 1 < end ? b[i + 1]! : 0);
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

interface Ip {
  src: number;
  dst: number;
  ttl: number;
  id: number;
  df: boolean;
  proto: number;
  length: number;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  payload: number;
  icmpType: number;
}

interface Frame {
  point: number;
  /** Microseconds since the Unix epoch, as the file says. */
  tsUs: number;
  ethSrc: string;
  ethDst: string;
  ethType: number;
  vxlan: { src: number; dst: number; sport: number; dport: number; ttl: number; df: boolean; udpChecksum: number; flags: number; vni: number; innerSrc: string; innerDst: string } | null;
  ip: Ip | null;
  /** The inner Ethernet frame of a VXLAN packet, or the frame itself. */
  inner: Uint8Array;
  problems: string[];
}

const macAt = (b: Uint8Array, o: number) => [...b.subarray(o, o + 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');

function parseIp(b: Uint8Array, o: number, problems: string[]): Ip {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b[o] !== 0x45) problems.push(`IPv4 version/IHL ${b[o]}`);
  const length = dv.getUint16(o + 2);
  if (o + length !== b.length) problems.push(`IPv4 length ${length} vs frame ${b.length - o}`);
  if (sum16(b, o, o + 20) !== 0xffff) problems.push('IPv4 header checksum');
  const proto = b[o + 9]!;
  const src = dv.getUint32(o + 12);
  const dst = dv.getUint32(o + 16);
  const l4 = o + 20;
  const end = o + length;
  const ip: Ip = { src, dst, ttl: b[o + 8]!, id: dv.getUint16(o + 4), df: (b[o + 6]! & 0x40) !== 0, proto, length, sport: 0, dport: 0, seq: 0, ack: 0, flags: 0, payload: 0, icmpType: -1 };
  const pseudo = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + (end - l4);
  if (proto === 6) {
    ip.sport = dv.getUint16(l4);
    ip.dport = dv.getUint16(l4 + 2);
    ip.seq = dv.getUint32(l4 + 4);
    ip.ack = dv.getUint32(l4 + 8);
    ip.flags = b[l4 + 13]!;
    ip.payload = end - l4 - (b[l4 + 12]! >> 4) * 4;
    if (sum16(b, l4, end, pseudo) !== 0xffff) problems.push('TCP checksum');
  } else if (proto === 17) {
    ip.sport = dv.getUint16(l4);
    ip.dport = dv.getUint16(l4 + 2);
    ip.payload = end - l4 - 8;
    if (dv.getUint16(l4 + 4) !== end - l4) problems.push('UDP length');
    if (dv.getUint16(l4 + 6) !== 0 && sum16(b, l4, end, pseudo) !== 0xffff) problems.push('UDP checksum');
  } else if (proto === 1) {
    ip.icmpType = b[l4]!;
    ip.sport = dv.getUint16(l4 + 4); // echo identifier
    ip.seq = dv.getUint16(l4 + 6);
    ip.payload = end - l4 - 8;
    if (sum16(b, l4, end) !== 0xffff) problems.push('ICMP checksum');
  } else problems.push(`IP protocol ${proto}`);
  return ip;
}

function parseFrame(point: number, r: ParsedRecord): Frame {
  const b = new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const problems: string[] = [];
  if (r.header.capturedLength !== r.header.originalLength) problems.push('record cut short');
  const f: Frame = {
    point,
    tsUs: r.header.timestampSeconds * 1e6 + r.header.timestampMicroseconds,
    ethDst: macAt(b, 0),
    ethSrc: macAt(b, 6),
    ethType: dv.getUint16(12),
    vxlan: null,
    ip: null,
    inner: b,
    problems,
  };
  if (f.ethType !== 0x0800) return f;
  const outer = parseIp(b, 14, problems);
  if (outer.proto === 17 && outer.dport === 8472) {
    const u = 34;
    f.vxlan = {
      src: outer.src,
      dst: outer.dst,
      sport: outer.sport,
      dport: outer.dport,
      ttl: outer.ttl,
      df: outer.df,
      udpChecksum: dv.getUint16(u + 6),
      flags: b[u + 8]!,
      vni: dv.getUint32(u + 12) >>> 8,
      innerDst: macAt(b, u + 16),
      innerSrc: macAt(b, u + 22),
    };
    f.inner = b.subarray(u + 16);
    f.ip = parseIp(b.subarray(u + 16), 14, problems);
  } else f.ip = outer;
  return f;
}

// ---------------------------------------------------------------------------------------------

const A = POD_A.ip;
const B = POD_B.ip;
const WEB = SERVICES.web.clusterIp;
const DNS = SERVICES.dns.clusterIp;
const mac = (m: Uint8Array) => [...m].map((x) => x.toString(16).padStart(2, '0')).join(':');
const inPodNet = (ip: number, node: typeof NODE1) => ip >>> 8 === node.podNet >>> 8;
/** What survives forwarding and NAT: the key the test matches one packet by at every point. */
const identity = (ip: Ip) => `${ip.proto}/${ip.id}/${ip.seq}/${ip.ack}/${ip.flags}/${ip.icmpType}/${ip.length}`;

let dir: string;
let incident: BenchIncident;
/** Frames per capture point, in file order. */
let frames: Frame[][];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hopscope-incident-'));
  incident = await ensureBenchIncident(PACKETS, dir);
  frames = await Promise.all(
    incident.files.map(async (file, point) => {
      const { linkType, magic, records } = await readPcap(file);
      expect(linkType).toBe(1);
      expect(magic).toBe(0xa1b2c3d4);
      return records.map((r) => parseFrame(point, r));
    }),
  );
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function ofPoint(point: number): Frame[] {
  return frames[point]!;
}

describe('the benchmark incident, read back with pcap-parser', () => {
  it('is eight files named <node>-<interface>.pcap, about the packets asked for, cached by version', async () => {
    expect(incident.files.map((f) => path.basename(f))).toEqual([
      `node1-${NODE1.vethName}.pcap`,
      'node1-cni0.pcap',
      'node1-flannel.1.pcap',
      'node1-eth0.pcap',
      'node2-eth0.pcap',
      'node2-flannel.1.pcap',
      'node2-cni0.pcap',
      `node2-${NODE2.vethName}.pcap`,
    ]);
    expect(NODE1.vethName).toMatch(/^veth[0-9a-f]{8}$/);
    const total = frames.reduce((n, f) => n + f.length, 0);
    expect(total).toBe(incident.packets);
    expect(Math.abs(total - PACKETS) / PACKETS).toBeLessThan(0.03);
    expect(path.basename(incident.dir)).toBe(`incident-v2-${PACKETS}`);
    const again = await ensureBenchIncident(PACKETS, dir);
    expect(again).toMatchObject({ dir: incident.dir, packets: incident.packets, bytes: incident.bytes, generated: false });
  });

  it('has every header checksum and length right, and time-ordered records', () => {
    const problems: string[] = [];
    frames.forEach((list, point) => {
      list.forEach((f, i) => {
        for (const p of f.problems) problems.push(`${CAPTURE_POINTS[point]!.file} #${i + 1}: ${p}`);
        if (i > 0 && f.tsUs < list[i - 1]!.tsUs) problems.push(`${CAPTURE_POINTS[point]!.file} #${i + 1}: time goes back`);
      });
    });
    expect(problems.slice(0, 20)).toEqual([]);
  });

  it('encapsulates only on eth0: VXLAN VNI 1 to UDP 8472, checksum 0, DF clear, source port from the flow hash', () => {
    for (let p = 0; p < 8; p++) {
      const vx = ofPoint(p).filter((f) => f.vxlan);
      if (p === POINT.node1Eth0 || p === POINT.node2Eth0) expect(vx.length).toBeGreaterThan(1000);
      else expect(vx.length, CAPTURE_POINTS[p]!.file).toBe(0);
    }
    const bad: string[] = [];
    const ports = new Map<string, Set<number>>();
    for (const p of [POINT.node1Eth0, POINT.node2Eth0]) {
      for (const f of ofPoint(p)) {
        const v = f.vxlan;
        if (!v) continue;
        const fromNode1 = v.src === NODE1.ip;
        const [from, to] = fromNode1 ? [NODE1, NODE2] : [NODE2, NODE1];
        if (v.dst !== to.ip || v.udpChecksum !== 0 || v.df || v.ttl !== 64 || v.flags !== 0x08 || v.vni !== 1) bad.push(`outer ${JSON.stringify(v)}`);
        if (v.sport < 32768 || v.sport > 60999) bad.push(`source port ${v.sport}`);
        if (f.ethSrc !== mac(from.mac) || f.ethDst !== mac(to.mac)) bad.push(`outer MACs ${f.ethSrc} > ${f.ethDst}`);
        if (v.innerSrc !== mac(from.vtepMac) || v.innerDst !== mac(to.vtepMac)) bad.push(`inner MACs ${v.innerSrc} > ${v.innerDst}`);
        const ip = f.ip!;
        if (!inPodNet(ip.src, from) || !inPodNet(ip.dst, to)) bad.push(`inner ${ipv4Text(ip.src)} > ${ipv4Text(ip.dst)}`);
        // One flow, one source port per sending node (the hash is keyed per node).
        const flow = [ip.proto, ...[`${ip.src}:${ip.sport}`, `${ip.dst}:${ip.dport}`].sort(), from.name].join(' ');
        if (ip.proto !== 1) (ports.get(flow) ?? ports.set(flow, new Set()).get(flow)!).add(v.sport);
      }
    }
    expect(bad.slice(0, 10)).toEqual([]);
    expect([...ports.values()].filter((s) => s.size !== 1)).toEqual([]);
  });

  it('shows pod traffic on flannel.1 between the VTEP MACs; eth0 carries the same inner frame', () => {
    const byId = new Map<string, Frame>();
    for (const f of ofPoint(POINT.node1Flannel)) {
      expect([`${mac(NODE1.vtepMac)}>${mac(NODE2.vtepMac)}`, `${mac(NODE2.vtepMac)}>${mac(NODE1.vtepMac)}`]).toContain(`${f.ethSrc}>${f.ethDst}`);
      byId.set(identity(f.ip!), f);
    }
    let same = 0;
    for (const f of ofPoint(POINT.node1Eth0)) {
      const g = f.vxlan ? byId.get(identity(f.ip!)) : undefined;
      if (!g) continue;
      expect(Buffer.from(f.inner).equals(Buffer.from(g.inner))).toBe(true);
      same++;
    }
    expect(same).toBe(ofPoint(POINT.node1Flannel).length);
  });

  it('lowers the TTL by one per routing step: 64 on the sender side, 63 over flannel.1, 62 behind the far cni0', () => {
    // Pod A → pod B:8080 (no NAT) requests, and pod B's replies, at all eight points.
    const want = { req: [64, 64, 63, 63, 63, 63, 62, 62], rep: [62, 62, 63, 63, 63, 63, 64, 64] };
    const seen = { req: new Map<string, number[]>(), rep: new Map<string, number[]>() };
    frames.forEach((list, point) => {
      for (const f of list) {
        const ip = f.ip;
        if (!ip || ip.proto !== 6) continue;
        const dir = ip.src === A && ip.dst === B && ip.dport === 8080 ? 'req' : ip.src === B && ip.dst === A && ip.sport === 8080 ? 'rep' : null;
        if (!dir) continue;
        const k = identity(ip);
        const ttls = seen[dir].get(k) ?? seen[dir].set(k, Array<number>(8).fill(-1)).get(k)!;
        ttls[point] = ip.ttl;
      }
    });
    expect(seen.req.size).toBeGreaterThan(20);
    expect(seen.rep.size).toBeGreaterThan(20);
    for (const d of ['req', 'rep'] as const) for (const ttls of seen[d].values()) expect(ttls).toEqual(want[d]);
  });

  it('keeps per-sender IP ids, consistent TCP sequence numbers, and echo ids and sequences', () => {
    const problems: string[] = [];
    const next = new Map<string, { id: number; seq: number }>();
    for (const f of ofPoint(POINT.node1Veth)) {
      const ip = f.ip;
      if (!ip) continue;
      const key = `${ip.proto} ${ip.src}:${ip.sport} > ${ip.dst}:${ip.dport}`;
      if (ip.proto === 6) {
        const prev = next.get(key);
        const syn = (ip.flags & 0x02) !== 0;
        const synAck = syn && (ip.flags & 0x10) !== 0;
        if (synAck && ip.id !== 0) problems.push(`${key}: SYN-ACK with IP id ${ip.id}`);
        if (prev && !synAck && !(syn && ip.seq === prev.seq - 1)) {
          if (ip.seq !== prev.seq) problems.push(`${key}: seq ${ip.seq}, expected ${prev.seq}`);
          if (prev.id >= 0 && ip.id !== ((prev.id + 1) & 0xffff)) problems.push(`${key}: IP id ${ip.id} after ${prev.id}`);
        }
        const len = ip.payload + (syn ? 1 : 0) + (ip.flags & 0x01 ? 1 : 0);
        next.set(key, { id: synAck ? -1 : ip.id, seq: (ip.seq + len) >>> 0 });
      } else if (ip.proto === 1) {
        if (ip.icmpType === 8 && !ip.df) problems.push(`${key}: echo request without DF`);
        if (ip.icmpType === 0 && ip.df) problems.push(`${key}: echo reply with DF`);
      }
    }
    expect(problems.slice(0, 10)).toEqual([]);
    // Every echo reply answers a request of the same id and sequence, the data echoed.
    const requests = new Set(ofPoint(POINT.node1Veth).filter((f) => f.ip?.icmpType === 8).map((f) => `${f.ip!.sport}/${f.ip!.seq}`));
    const replies = ofPoint(POINT.node1Veth).filter((f) => f.ip?.icmpType === 0);
    expect(replies.length).toBeGreaterThan(10);
    for (const r of replies) expect(requests.has(`${r.ip!.sport}/${r.ip!.seq}`)).toBe(true);
  });

  it('shows a ClusterIP only on the pod veth going out; cni0 already shows the endpoint (br_netfilter)', () => {
    const at = (point: number, pred: (ip: Ip) => boolean) => ofPoint(point).filter((f) => f.ip && pred(f.ip)).length;
    for (const svc of [WEB, DNS]) {
      expect(at(POINT.node1Veth, (ip) => ip.src === A && ip.dst === svc)).toBeGreaterThan(5);
      for (let p = 1; p < 8; p++) expect(at(p, (ip) => ip.dst === svc), CAPTURE_POINTS[p]!.file).toBe(0);
      // Replies get the ClusterIP back in node1's POSTROUTING, before cni0 sends them.
      expect(at(POINT.node1Veth, (ip) => ip.src === svc && ip.dst === A)).toBeGreaterThan(5);
      for (let p = 2; p < 8; p++) expect(at(p, (ip) => ip.src === svc), CAPTURE_POINTS[p]!.file).toBe(0);
    }
    // The DNAT'd requests, matched by identity: ClusterIP:80 on the veth, pod B:80 from cni0 on.
    const veth = ofPoint(POINT.node1Veth).filter((f) => f.ip?.dst === WEB && f.ip.dport === 80);
    const cni0 = new Map(ofPoint(POINT.node1Cni0).map((f) => [identity(f.ip ?? ({} as Ip)), f]));
    for (const f of veth) {
      const g = cni0.get(identity(f.ip!));
      expect(g?.ip).toMatchObject({ src: A, dst: B, dport: 80, ttl: 64 });
    }
  });

  it('keeps node2 tens of milliseconds ahead, with 0.2–0.5 ms between the nodes and microseconds within one', () => {
    const skewUs = NODE2_CLOCK_AHEAD_NS / 1000;
    const n1 = new Map(ofPoint(POINT.node1Eth0).filter((f) => f.vxlan).map((f) => [identity(f.ip!), f]));
    const deltas: number[] = [];
    for (const f of ofPoint(POINT.node2Eth0)) {
      const g = f.vxlan ? n1.get(identity(f.ip!)) : undefined;
      if (!g) continue;
      // Node1 → node2: t2 − t1 = delay + skew; node2 → node1: t2 − t1 = skew − delay.
      deltas.push(f.vxlan!.src === NODE1.ip ? f.tsUs - g.tsUs - skewUs : skewUs - (f.tsUs - g.tsUs));
    }
    expect(deltas.length).toBeGreaterThan(1000);
    expect(Math.min(...deltas)).toBeGreaterThanOrEqual(199);
    expect(Math.max(...deltas)).toBeLessThanOrEqual(520);
    const veth = new Map(ofPoint(POINT.node1Veth).map((f) => [identity(f.ip ?? ({} as Ip)), f]));
    const local = ofPoint(POINT.node1Cni0).flatMap((f) => {
      const g = f.ip && f.ip.src === A ? veth.get(identity(f.ip)) : undefined;
      return g ? [f.tsUs - g.tsUs] : [];
    });
    expect(local.length).toBeGreaterThan(100);
    expect(Math.min(...local)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...local)).toBeLessThanOrEqual(10);
  });

  it('carries background only where a real node shows it', () => {
    const a = ofPoint(POINT.node1Veth);
    // Pod A's veth: pod A's packets, and ARP broadcasts the bridge floods.
    expect(a.filter((f) => f.ip && f.ip.src !== A && f.ip.dst !== A)).toEqual([]);
    expect(a.some((f) => f.ethType === 0x0806 && f.ethDst === 'ff:ff:ff:ff:ff:ff')).toBe(true);
    const b = ofPoint(POINT.node2Veth);
    expect(b.filter((f) => f.ip && f.ip.src !== B && f.ip.dst !== B)).toEqual([]);
    // cni0 sees other pods; eth0 sees the underlay unencapsulated; ARP on eth0 and cni0.
    const others = (p: number, node: typeof NODE1, pod: number) => ofPoint(p).filter((f) => f.ip && !f.vxlan && [f.ip.src, f.ip.dst].some((x) => inPodNet(x, node) && x !== pod && (x & 0xff) > 1));
    expect(others(POINT.node1Cni0, NODE1, A).length).toBeGreaterThan(100);
    expect(others(POINT.node2Cni0, NODE2, B).length).toBeGreaterThan(100);
    for (const p of [POINT.node1Eth0, POINT.node2Eth0]) {
      const plain = ofPoint(p).filter((f) => f.ip && !f.vxlan);
      expect(plain.length).toBeGreaterThan(100);
      // Pods leave a node MASQUERADE'd: eth0 never shows a pod address outside VXLAN.
      expect(plain.filter((f) => inPodNet(f.ip!.src, NODE1) || inPodNet(f.ip!.src, NODE2) || inPodNet(f.ip!.dst, NODE1) || inPodNet(f.ip!.dst, NODE2))).toEqual([]);
      expect(plain.some((f) => f.ip!.dport === 6443 || f.ip!.sport === 6443)).toBe(true);
      expect(plain.some((f) => f.ip!.src === ipv4('192.168.56.1') || f.ip!.dst === ipv4('192.168.56.1'))).toBe(true);
      expect(ofPoint(p).some((f) => f.ethType === 0x0806)).toBe(true);
    }
  });

  it('has the broken flow stop after node2/flannel.1: six SYNs at the first six points, none after, no answer', () => {
    const port = incident.manifest.brokenFlow.clientPort;
    const counts = frames.map((list) => list.filter((f) => f.ip?.proto === 6 && [f.ip.sport, f.ip.dport].includes(port) && [f.ip.sport, f.ip.dport].includes(BROKEN_FLOW.serverPort)));
    expect(counts.map((c) => c.length)).toEqual([6, 6, 6, 6, 6, 6, 0, 0]);
    for (const c of counts) for (const f of c) expect(f.ip).toMatchObject({ src: A, dst: B, flags: 0x02 });
  });

  it('is deterministic: the same bytes for the same size and seed, other bytes for another seed', async () => {
    const digest = (seed: number) => {
      const hashes = CAPTURE_POINTS.map(() => createHash('sha256'));
      const gen = generateIncident(PACKETS, { seed, chunkSize: 256 * 1024 });
      for (let r = gen.next(); !r.done; r = gen.next()) hashes[r.value.point]!.update(r.value.bytes);
      return hashes.map((h) => h.digest('hex'));
    };
    const onDisk = await Promise.all(incident.files.map(async (f) => createHash('sha256').update(await readFile(f)).digest('hex')));
    expect(digest(INCIDENT_SEED)).toEqual(onDisk);
    expect(digest(7)).not.toEqual(onDisk);
  });
});

describe('analyze() on the benchmark incident', () => {
  let report: AnalysisReport;
  let verdicts: Judgement;

  beforeAll(async () => {
    const { inputs, errors } = await loadInputs(expand([incident.dir]), new Map());
    expect(errors).toEqual([]);
    report = analyze(inputs).report;
    verdicts = judge(report, incident.manifest.brokenFlow.clientPort);
  }, 120_000);

  it('labels the eight points and finds node2 37.46 ms ahead', () => {
    expect(report.captures.map((c) => `${c.node}/${c.interface}`).sort()).toEqual(CAPTURE_POINTS.map((p) => `${p.node.name}/${p.interface}`).sort());
    const node2 = report.clocks.find((c) => c.node === 'node2');
    expect(node2?.method).toBe('two-way');
    expect(Math.abs(node2!.offsetNs + NODE2_CLOCK_AHEAD_NS)).toBeLessThan(100_000);
  });

  it('finds the broken flow stopping after node2/flannel.1', () => {
    expect(verdicts.broken?.text).toMatch(/^TCP 10\.244\.1\.2:\d+ → 10\.244\.2\.2:9090: request-dropped \(stops after node2\/flannel\.1\)/);
    expect(verdicts.brokenOk).toBe(true);
  });

  it('calls every flow between a node1 pod and a node2 pod delivered, through the ClusterIPs too', () => {
    expect(verdicts.podToPod.total).toBeGreaterThan(100);
    expect(verdicts.podToPod.wrong.map((w) => w.text)).toEqual([]);
    const web = report.flows.find((f) => f.server === ipv4Text(WEB) && f.protocol === 'tcp');
    expect(web?.translations[0]).toMatchObject({ kind: 'DNAT', at: 'node1/cni0' });
    expect(report.flows.some((f) => f.server === ipv4Text(DNS) && f.protocol === 'udp' && f.verdict.kind === 'delivered')).toBe(true);
    expect(report.flows.some((f) => f.protocol === 'icmp' && f.verdict.kind === 'delivered')).toBe(true);
  });

  // Flows that end at a node's own address (kubelet probes from cni0's address, Prometheus
  // scraping node2 through MASQUERADE, the API server watches and ssh on the underlay) or stay
  // on one node (pod A to a cache beside it): their path ends where they turned round.
  it('calls the healthy flows that end at a node or stay on one node delivered too', () => {
    expect(verdicts.other.total).toBeGreaterThan(20);
    expect(verdicts.other.wrong.map((w) => w.text)).toEqual([]);
  });
});
