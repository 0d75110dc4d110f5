import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readCaptureBlob } from '../capture/blob';
import { buildPcap } from '../capture/build';
import { CaptureIndexer } from '../decode/capture-index';
import { SAMPLES } from '../testing/scenarios';
import { rotated } from '../testing/pcap-records';
import { AnalysisEngine, isSmallFile, SMALL_AT_ONCE, SMALL_FILE_BYTES } from './engine';
import type { FileId, FromWorker, ToWorker } from './protocol';

type Msg<T extends FromWorker['type']> = Extract<FromWorker, { type: T }>;

function harness(opts: { chunkSize?: number; flowsPerMessage?: number; concurrency?: number } = {}) {
  const messages: FromWorker[] = [];
  const waiters: (() => void)[] = [];
  const engine = new AnalysisEngine({
    post: (m) => {
      messages.push(m);
      waiters.splice(0).forEach((w) => w());
    },
    chunkSize: opts.chunkSize,
    flowsPerMessage: opts.flowsPerMessage,
    ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
  });
  const send = (m: ToWorker) => engine.handle(m);
  async function next<T extends FromWorker['type']>(type: T, pred: (m: Msg<T>) => boolean = () => true, after = 0): Promise<Msg<T>> {
    for (let i = 0; i < 2000; i++) {
      const hit = messages.slice(after).find((m): m is Msg<T> => m.type === type && pred(m as Msg<T>));
      if (hit) return hit;
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 5);
      });
    }
    throw new Error(`no ${type} message; got ${messages.map((m) => m.type).join(', ')}`);
  }
  return { messages, send, next };
}

const scenario = (name: string) => join(SAMPLES, name);
const have = existsSync(scenario('vxlan-forward-drop'));

function scenarioFiles(name: string, filter: (f: string) => boolean = (f) => f.endsWith('.pcap')): { id: FileId; file: File; name: string }[] {
  return readdirSync(scenario(name))
    .filter(filter)
    .sort()
    .map((f, i) => ({ id: `${name}-${i}` as FileId, file: new File([readFileSync(join(scenario(name), f))], f), name: f }));
}

describe.skipIf(!have)('AnalysisEngine on a lab scenario', () => {
  it('reads every file, summarises each, and finds where the requests stop', async () => {
    const h = harness();
    const files = scenarioFiles('vxlan-forward-drop');
    h.send({ type: 'add', files });
    const a = await h.next('analysis');
    expect(a.report).not.toBeNull();
    const loaded = h.messages.filter((m): m is Msg<'file-loaded'> => m.type === 'file-loaded');
    expect(loaded).toHaveLength(files.length);
    const eth0 = loaded.find((m) => m.id === files.find((f) => f.name === 'node1-eth0.pcap')!.id)!;
    expect(eth0.summary).toMatchObject({ format: 'pcap', detected: { node: 'node1', interface: 'eth0', source: 'file name' }, multiInterface: false });
    expect(eth0.summary.linkTypes[0]).toMatchObject({ linkType: 1, decoded: true });
    const worst = a.report!.flows[0]!;
    expect(worst.verdict.kind).toBe('request-dropped');
    expect(worst.requestsStopAfter).toBe('node2/flannel.1');
    // Every file became one capture point.
    expect(Object.values(a.files).every((f) => f.points.length === 1 && f.unused === null)).toBe(true);
    // Only one analysis for the whole drop.
    expect(h.messages.filter((m) => m.type === 'analysis')).toHaveLength(1);
  });

  it("sends the report with its worst flows first, and the rest a batch for each more-flows, in the report's order", async () => {
    const whole = harness();
    whole.send({ type: 'add', files: scenarioFiles('vxlan-forward-drop') });
    const all = (await whole.next('analysis')).report!.flows;
    expect(all.length).toBeGreaterThan(2);
    const h = harness({ flowsPerMessage: 2 });
    h.send({ type: 'add', files: scenarioFiles('vxlan-forward-drop') });
    const a = await h.next('analysis');
    expect(a.report!.flows.map((f) => f.id)).toEqual(all.slice(0, 2).map((f) => f.id));
    expect(a.report!.flows[0]!.verdict.kind).toBe('request-dropped');
    expect(a.flowsToCome).toBe(all.length - 2);
    // Nothing more until the page asks.
    await new Promise((r) => setTimeout(r, 20));
    expect(h.messages.some((m) => m.type === 'analysis-flows')).toBe(false);
    const got = [...a.report!.flows];
    for (let from = 2; from < all.length; from += 2) {
      const seen = h.messages.length;
      h.send({ type: 'more-flows', generation: a.generation, from });
      const batch = await h.next('analysis-flows', () => true, seen);
      expect(batch.generation).toBe(a.generation);
      got.push(...batch.flows);
    }
    expect(got).toEqual(all);
    // A batch of an analysis since replaced, or past the end, is not sent.
    const seen = h.messages.length;
    h.send({ type: 'more-flows', generation: a.generation + 1, from: 2 });
    h.send({ type: 'more-flows', generation: a.generation, from: all.length });
    expect(h.messages.length).toBe(seen);
  });

  it('pages of packets per flow and point, time-ordered, with the hop counts as totals', async () => {
    const h = harness();
    h.send({ type: 'add', files: scenarioFiles('vxlan-healthy') });
    const a = await h.next('analysis');
    const flow = a.report!.flows.find((f) => f.protocol === 'icmp')!;
    const hop = flow.hops.find((x) => x.interface === 'eth0' && x.node === 'node1')!;
    h.send({ type: 'packets', req: 1, generation: a.generation, flow: flow.id, point: hop.point, offset: 0, limit: 100 });
    const page = (await h.next('packets', (m) => m.req === 1)).page;
    expect(page.total).toBe(hop.requests + hop.replies);
    expect(page.rows.map((r) => r.tNs)).toEqual([...page.rows.map((r) => r.tNs)].sort((x, y) => x - y));
    expect(page.rows.filter((r) => r.dir === 'request')).toHaveLength(hop.requests);
    const req = page.rows.find((r) => r.dir === 'request')!;
    expect(req).toMatchObject({ protocol: 'ICMP', src: flow.client, dst: flow.server });
    expect(req.info).toMatch(/^echo request id=\d+ seq=\d+$/);
    expect(req.seen).toBe(req.stations);

    h.send({ type: 'packets', req: 2, generation: a.generation, flow: flow.id, point: hop.point, offset: 2, limit: 2 });
    const p2 = (await h.next('packets', (m) => m.req === 2)).page;
    expect(p2.rows.map((r) => r.n)).toEqual([2, 3]);
    expect(p2.rows[0]!.tNs).toBe(page.rows[2]!.tNs);

    // A stale generation is refused, not answered with the wrong flow.
    h.send({ type: 'packets', req: 3, generation: a.generation + 1, flow: flow.id, point: hop.point, offset: 0, limit: 1 });
    expect((await h.next('request-error', (m) => m.req === 3)).message).toMatch(/changed/);

    // One packet across the stations: corrected times and its layers where it was picked.
    h.send({ type: 'packet', req: 4, generation: a.generation, flow: flow.id, group: req.group, point: hop.point });
    const d = (await h.next('packet', (m) => m.req === 4)).detail;
    expect(d.dir).toBe('request');
    expect(d.sightings.length).toBeGreaterThanOrEqual(flow.hops.filter((x) => x.role !== 'any').length);
    expect(d.layers[0]).toMatch(/^Ethernet /);
    expect(d.layers.some((l) => l.startsWith('VXLAN VNI 1'))).toBe(true);
    expect(d.layers.at(-2)).toMatch(/^ICMP echo request/);
    expect(d.frame).toBe(req.frame);
  });

  it('the anatomy of one packet at every station: encapsulated on node1, decapsulated on node2, bytes as captured', async () => {
    const h = harness();
    const files = scenarioFiles('vxlan-healthy');
    h.send({ type: 'add', files });
    const a = await h.next('analysis');
    const flow = a.report!.flows.find((f) => f.protocol === 'icmp')!;
    const hop = flow.hops.find((x) => x.interface === 'eth0' && x.node === 'node1')!;
    h.send({ type: 'packets', req: 1, generation: a.generation, flow: flow.id, point: hop.point, offset: 0, limit: 1 });
    const row = (await h.next('packets', (m) => m.req === 1)).page.rows[0]!;
    h.send({ type: 'anatomy', req: 2, generation: a.generation, flow: flow.id, group: row.group });
    const d = (await h.next('anatomy', (m) => m.req === 2)).detail;
    const path = flow.hops.filter((x) => x.role !== 'any');
    // In path order, every station of the path that the flow crossed (the -i any copies aside).
    expect(d.stations.filter((s) => s.role !== 'any').map((s) => `${s.node}/${s.interface}`)).toEqual(path.map((x) => `${x.node}/${x.interface}`));
    expect(d.diffs[0]).toBeNull();
    expect(d.mtu).toHaveLength(d.stations.length);
    let compared = 0;
    for (const [i, s] of d.stations.entries()) {
      // The anatomy covers exactly the bytes the station captured.
      expect(s.anatomy.segments.reduce((n, g) => n + g.length, 0)).toBe(s.bytes.length);
      // And those bytes are the frame the file holds at that number.
      const file = files.find((f) => f.name === `${s.node}-${s.interface}.pcap`);
      if (file) {
        const frames: Uint8Array[] = [];
        await readCaptureBlob(file.file, { onPacket: (r) => frames.push(r.buf.slice(r.offset, r.offset + r.capLen)) });
        expect(Buffer.from(s.bytes).equals(Buffer.from(frames[s.frame - 1]!))).toBe(true);
        compared++;
      }
      const prev = d.stations[i - 1];
      if (!prev || prev.role === 'any' || s.role === 'any') continue;
      const grew = s.bytes.length - prev.bytes.length;
      const diff = d.diffs[i]!;
      if (prev.interface === 'flannel.1' && s.interface === 'eth0') {
        expect(grew).toBe(50);
        expect(diff.added.map((l) => l.title)).toContain('VXLAN');
      } else if (prev.interface === 'eth0' && s.interface === 'flannel.1') {
        expect(grew).toBe(-50);
        expect(diff.removed.map((l) => l.title)).toContain('VXLAN');
      } else {
        expect(grew).toBe(0);
        expect(diff.added).toEqual([]);
        expect(diff.removed).toEqual([]);
      }
    }
    expect(compared).toBe(d.stations.length);
    const wire = d.stations.find((s) => s.node === 'node1' && s.interface === 'eth0')!;
    expect(d.mtu[d.stations.indexOf(wire)]).toMatchObject({ overlay: 'vxlan', overhead: 50, innerMtu: 1450, fits: true });
  });

  it('a capture written as several files (tcpdump -C) is one point; each packet is read back from the file that holds it', async () => {
    const h = harness();
    const parts = await rotated(join(scenario('vxlan-healthy'), 'node1-eth0.pcap'), 4);
    expect(parts.length).toBeGreaterThan(2);
    const rotatedFiles = parts.map((bytes, k) => {
      const name = k === 0 ? 'node1-eth0.pcap' : `node1-eth0.pcap${k}`;
      return { id: `rot-${k}` as FileId, file: new File([bytes as Uint8Array<ArrayBuffer>], name), name };
    });
    const files = [...scenarioFiles('vxlan-healthy', (f) => f.endsWith('.pcap') && f !== 'node1-eth0.pcap'), ...rotatedFiles];
    h.send({ type: 'add', files });
    const a = await h.next('analysis');
    const eth0 = a.points.filter((p) => p.node === 'node1' && p.interface === 'eth0');
    expect(eth0).toHaveLength(1);
    // Every one of its files holds that point, and only it, and knows its place among them.
    for (const [k, f] of rotatedFiles.entries()) {
      expect(a.files[f.id]!.points.map((p) => p.id)).toEqual([eth0[0]!.id]);
      expect(a.files[f.id]!.part).toEqual({ index: k + 1, of: rotatedFiles.length });
    }
    expect(Object.entries(a.files).filter(([id]) => !id.startsWith('rot-')).every(([, x]) => x.part === undefined)).toBe(true);
    const flow = a.report!.flows.find((f) => f.protocol === 'tcp')!;
    const hop = flow.hops.find((x) => x.point === eth0[0]!.id)!;
    h.send({ type: 'packets', req: 1, generation: a.generation, flow: flow.id, point: hop.point, offset: 0, limit: 100 });
    const rows = (await h.next('packets', (m) => m.req === 1)).page.rows;
    expect(rows).toHaveLength(hop.requests + hop.replies);
    expect(new Set(rows.map((r) => r.file)).size).toBeGreaterThan(1);
    // Each packet's anatomy at eth0 holds the bytes its file holds at the frame number the row gives.
    const frames = new Map<string, Uint8Array[]>();
    for (const f of rotatedFiles) {
      const list: Uint8Array[] = [];
      await readCaptureBlob(f.file, { onPacket: (r) => list.push(r.buf.slice(r.offset, r.offset + r.capLen)) });
      frames.set(f.name, list);
    }
    for (const [k, row] of rows.entries()) {
      h.send({ type: 'anatomy', req: 10 + k, generation: a.generation, flow: flow.id, group: row.group });
      const d = (await h.next('anatomy', (m) => m.req === 10 + k)).detail;
      const at = d.stations.find((x) => x.point === hop.point)!;
      expect([at.file, at.frame]).toEqual([row.file, row.frame]);
      expect(Buffer.from(at.bytes).equals(Buffer.from(frames.get(row.file!)![row.frame - 1]!))).toBe(true);
    }
    // The export holds every one of them, whichever file it came from.
    h.send({ type: 'export-pcap', req: 99, generation: a.generation, flow: flow.id, point: hop.point });
    const ex = await h.next('export', (m) => m.req === 99);
    const indexer = new CaptureIndexer();
    const summary = await readCaptureBlob(Object.assign(ex.blob, { name: ex.fileName }), indexer);
    expect(summary.packets).toBe(rows.length);
    const c = indexer.finish(summary);
    for (let i = 0; i < c.index.count; i++) expect(c.index.read(i).ipLen).toBe(rows[i]!.ipLen);
  });

  it('exports the packets of a flow at a point as a pcap the reader opens', async () => {
    const h = harness();
    h.send({ type: 'add', files: scenarioFiles('vxlan-forward-drop', (f) => f === 'all-interfaces.pcapng') });
    const a = await h.next('analysis');
    const flow = a.report!.flows.find((f) => f.protocol === 'tcp')!;
    const hop = flow.hops.find((x) => x.interface === 'flannel.1' && x.node === 'node2')!;
    h.send({ type: 'export-pcap', req: 7, generation: a.generation, flow: flow.id, point: hop.point });
    const ex = await h.next('export', (m) => m.req === 7);
    expect(ex.fileName).toBe('tcp_10.244.1.2_40080-10.244.2.2_80_at_node2-flannel.1.pcap');
    expect(ex.packets).toBe(hop.requests + hop.replies);
    const indexer = new CaptureIndexer();
    const summary = await readCaptureBlob(Object.assign(ex.blob, { name: ex.fileName }), indexer);
    expect(summary.format).toBe('pcap');
    expect(summary.packets).toBe(ex.packets);
    const c = indexer.finish(summary);
    expect(c.interfaces[0]!.linkType).toBe(1);
    // The same packets as the page lists, with their capture times.
    h.send({ type: 'packets', req: 8, generation: a.generation, flow: flow.id, point: hop.point, offset: 0, limit: 100 });
    const page = (await h.next('packets', (m) => m.req === 8)).page;
    for (let i = 0; i < c.index.count; i++) expect(c.index.read(i).ipLen).toBe(page.rows[i]!.ipLen);
  });

  it('a label edit re-runs the analysis without reading again; null goes back to the detected label', async () => {
    const h = harness();
    const files = scenarioFiles('vxlan-forward-drop');
    h.send({ type: 'add', files });
    await h.next('analysis');
    const reads = h.messages.filter((m) => m.type === 'file-reading').length;
    const id = files.find((f) => f.name === 'node2-flannel.1.pcap')!.id;
    const mark = h.messages.length;
    h.send({ type: 'relabel', id, label: { node: 'worker-b', interface: 'flannel.1' } });
    const b = await h.next('analysis', () => true, mark);
    expect(h.messages.filter((m) => m.type === 'file-reading')).toHaveLength(reads);
    expect(b.files[id]!.points).toEqual([expect.objectContaining({ node: 'worker-b', interface: 'flannel.1' })]);
    expect(b.report!.captures.some((c) => c.node === 'worker-b')).toBe(true);
    const mark2 = h.messages.length;
    h.send({ type: 'relabel', id, label: null });
    const c = await h.next('analysis', () => true, mark2);
    expect(c.report!.flows[0]!.requestsStopAfter).toBe('node2/flannel.1');
  });

  it('a pcapng of all interfaces beside the per-interface files is used once', async () => {
    const h = harness();
    const files = scenarioFiles('vxlan-forward-drop', (f) => f.endsWith('.pcap') || f.endsWith('.pcapng'));
    h.send({ type: 'add', files });
    const a = await h.next('analysis');
    const all = files.find((f) => f.name === 'all-interfaces.pcapng')!;
    expect(a.files[all.id]!.unused).toMatch(/already given as separate files/);
    const loaded = h.messages.find((m): m is Msg<'file-loaded'> => m.type === 'file-loaded' && m.id === all.id)!;
    expect(loaded.summary.multiInterface).toBe(true);
  });
});

describe.skipIf(!existsSync(scenario('any-sll2-forward-drop')))('AnalysisEngine on `tcpdump -i any` captures', () => {
  it('names the interfaces from a dropped links file, and a role the user sets replaces the inferred one', async () => {
    const h = harness();
    const files = scenarioFiles('any-sll2-forward-drop', (f) => f.endsWith('-any.pcap'));
    h.send({ type: 'add', files });
    const bare = await h.next('analysis', (m) => m.points.length > 0);
    // Without the interface lists: if<N>, roles inferred from the traffic.
    expect(bare.points.every((p) => /^if\d+$/.test(p.interface))).toBe(true);
    expect(bare.points.filter((p) => p.roleSource === 'inferred').length).toBeGreaterThan(0);
    expect(bare.points.every((p) => Number.isFinite(p.firstNs) && p.lastNs >= p.firstNs)).toBe(true);
    // The note on those roles points at the table that corrects them, not at the CLI's --role.
    const inferredNotes = bare.report!.notes.filter((n) => n.includes('roles inferred from what crossed the interfaces'));
    expect(inferredNotes.length).toBeGreaterThan(0);
    for (const n of inferredNotes) expect(n).toMatch(/\(correct them in the capture points table\)$/);
    expect(bare.report!.notes.filter((n) => n.includes('--role'))).toEqual([]);

    const links = scenarioFiles('any-sll2-forward-drop', (f) => f.endsWith('-links.txt')).map((f, i) => ({ ...f, id: `links-${i}` as FileId }));
    const before = h.messages.length;
    h.send({ type: 'add', files: links });
    const loaded = await h.next('links-loaded', () => true, before);
    expect(loaded.node).toMatch(/^node[12]$/);
    const named = await h.next('analysis', (m) => m.points.some((p) => p.interface === 'flannel.1'), before);
    expect(named.points.find((p) => p.node === 'node2' && p.interface === 'flannel.1')).toMatchObject({ role: 'overlay', roleSource: 'name' });
    expect(named.report!.flows.some((f) => f.requestsStopAfter === 'node2/flannel.1')).toBe(true);

    const mark = h.messages.length;
    h.send({ type: 'roles', roles: { 'node2/cni0': 'other' } });
    const corrected = await h.next('analysis', () => true, mark);
    expect(corrected.points.find((p) => p.node === 'node2' && p.interface === 'cni0')).toMatchObject({ role: 'other', roleSource: 'user' });
  });

  it('a links file that is not one gets its own message', async () => {
    const h = harness();
    h.send({ type: 'add', files: [{ id: 'bad' as FileId, file: new File(['hello\n'], 'node1-links.txt'), name: 'node1-links.txt' }] });
    const e = await h.next('file-error');
    expect(e.message).toBe('node1-links.txt: no interface found; expected what ip -o link or ip -j link prints');
  });
});

describe('AnalysisEngine with bad input', () => {
  const data = (n: number) => Uint8Array.from({ length: n }, (_, i) => i & 0xff);
  const pcap = (linkType = 1, n = 3) =>
    buildPcap({ linkType, records: Array.from({ length: n }, (_, i) => ({ sec: 1_700_000_000 + i, frac: 0, data: data(60) })) });
  const file = (bytes: Uint8Array, name: string) => new File([bytes as Uint8Array<ArrayBuffer>], name);

  it('a file that is not a capture, a truncated one and an unknown link type each get their own message', async () => {
    const h = harness();
    const truncated = pcap().slice(0, 24 + 76 + 16 + 30);
    h.send({
      type: 'add',
      files: [
        { id: 'a' as FileId, file: file(new TextEncoder().encode('hello, not a capture'), 'notes.txt'), name: 'notes.txt' },
        { id: 'b' as FileId, file: file(pcap(), 'node1-eth0.pcap'), name: 'node1-eth0.pcap' },
        { id: 'c' as FileId, file: file(truncated, 'node2-eth0.pcap'), name: 'node2-eth0.pcap' },
        { id: 'd' as FileId, file: file(pcap(147), 'node3-eth0.pcap'), name: 'node3-eth0.pcap' },
        { id: 'e' as FileId, file: file(gzipSync(pcap()), 'node4-eth0.pcap.gz'), name: 'node4-eth0.pcap.gz' },
      ],
    });
    const a = await h.next('analysis');
    const err = (id: string) => h.messages.find((m): m is Msg<'file-error'> => m.type === 'file-error' && m.id === id);
    expect(err('a')?.message).toMatch(/^NOT_A_CAPTURE at byte 0 of notes\.txt/);
    expect(err('d')?.message).toMatch(/link type 147 is not one Hopscope decodes/);
    const c = h.messages.find((m): m is Msg<'file-loaded'> => m.type === 'file-loaded' && m.id === 'c')!;
    expect(c.summary.warnings.join(' ')).toMatch(/node2-eth0\.pcap is cut short at byte 100/);
    expect(c.summary.packets).toBe(1);
    const e = h.messages.find((m): m is Msg<'file-loaded'> => m.type === 'file-loaded' && m.id === 'e')!;
    expect(e.summary).toMatchObject({ gzip: true, packets: 3 });
    expect(a.report?.captures.map((x) => x.node).sort()).toEqual(['node1', 'node2', 'node4']);
  });

  it('cancel stops the reads; what was read stays and is analysed; retry reads again', async () => {
    // One large file at a time: the second waits in the queue (a small one never waits).
    const h = harness({ chunkSize: 4096, concurrency: 1 });
    const big = pcap(1, 20_000);
    expect(big.length).toBeGreaterThan(SMALL_FILE_BYTES);
    h.send({
      type: 'add',
      files: [
        { id: 'small' as FileId, file: file(pcap(), 'node1-eth0.pcap'), name: 'node1-eth0.pcap' },
        { id: 'big' as FileId, file: file(big, 'node2-eth0.pcap'), name: 'node2-eth0.pcap' },
        { id: 'queued' as FileId, file: file(big, 'node3-eth0.pcap'), name: 'node3-eth0.pcap' },
      ],
    });
    await h.next('file-loaded', (m) => m.id === 'small');
    await h.next('file-progress', (m) => m.id === 'big');
    h.send({ type: 'cancel' });
    const a = await h.next('analysis');
    expect(h.messages.find((m) => m.type === 'file-cancelled' && m.id === 'big')).toBeDefined();
    expect(h.messages.find((m) => m.type === 'file-cancelled' && m.id === 'queued')).toBeDefined();
    expect(a.report!.captures.map((c) => c.node)).toEqual(['node1']);
    const mark = h.messages.length;
    h.send({ type: 'retry', id: 'queued' as FileId });
    const b = await h.next('analysis', () => true, mark);
    expect(b.report!.captures.map((c) => c.node).sort()).toEqual(['node1', 'node3']);
  });

  it('reads small files at once, beside the large ones, which take turns', async () => {
    const h = harness({ chunkSize: 4096, concurrency: 1 });
    const big = pcap(1, 20_000);
    const files = [
      { id: 'big1' as FileId, file: file(big, 'node1-eth0.pcap'), name: 'node1-eth0.pcap' },
      { id: 'big2' as FileId, file: file(big, 'node2-eth0.pcap'), name: 'node2-eth0.pcap' },
      ...Array.from({ length: 5 }, (_, i) => ({ id: `s${i}` as FileId, file: file(pcap(), `node${i + 3}-eth0.pcap`), name: `node${i + 3}-eth0.pcap` })),
    ];
    h.send({ type: 'add', files });
    // Each small file starts before the second large one, which waits for the first.
    const started = h.messages.filter((m) => m.type === 'file-reading').map((m) => (m as Msg<'file-reading'>).id);
    expect(started).toEqual(['big1', 's0', 's1', 's2', 's3', 's4']);
    const a = await h.next('analysis');
    expect(a.report!.captures).toHaveLength(7);
    // One analysis, once every file is read, the large ones last.
    expect(h.messages.filter((m) => m.type === 'analysis')).toHaveLength(1);
    const loaded = h.messages.filter((m) => m.type === 'file-loaded').map((m) => (m as Msg<'file-loaded'>).id);
    expect(loaded.slice(-1)).toEqual(['big2']);
    expect(h.messages.findIndex((m) => m.type === 'analysis')).toBeGreaterThan(h.messages.findIndex((m) => m.type === 'file-loaded' && m.id === 'big2'));
  });

  it('reads at most SMALL_AT_ONCE small files at a time, and every one in the end', async () => {
    const h = harness();
    const n = SMALL_AT_ONCE + 5;
    h.send({ type: 'add', files: Array.from({ length: n }, (_, i) => ({ id: `s${i}` as FileId, file: file(pcap(), `node${i}-eth0.pcap`), name: `node${i}-eth0.pcap` })) });
    // Started at once: the first SMALL_AT_ONCE; the others as those finish.
    expect(h.messages.filter((m) => m.type === 'file-reading')).toHaveLength(SMALL_AT_ONCE);
    const a = await h.next('analysis');
    expect(a.report!.captures).toHaveLength(n);
    expect(h.messages.filter((m) => m.type === 'analysis')).toHaveLength(1);
  });

  it('a gzip is never a small file, however few bytes it has, nor a file not named as a plain capture', () => {
    expect(isSmallFile(new Blob([new Uint8Array(100)]), 'node1-eth0.pcap')).toBe(true);
    expect(isSmallFile(new Blob([new Uint8Array(100)]), 'node1-eth0.pcap.gz')).toBe(false);
    // Named as no plain capture is: it may be a gzip all the same (the reader goes by its bytes).
    expect(isSmallFile(new Blob([new Uint8Array(100)]), 'node1-eth0.pcap.gzip')).toBe(false);
    expect(isSmallFile(new Blob([new Uint8Array(100)]), 'node1-eth0')).toBe(false);
    expect(isSmallFile(new Blob([new Uint8Array(100)]), 'node1-eth0.pcap3')).toBe(true);
    expect(isSmallFile(new Blob([new Uint8Array(100)]), 'node1-eth0.PCAPNG')).toBe(true);
    expect(isSmallFile(new Blob([new Uint8Array(SMALL_FILE_BYTES)]), 'node1-eth0.pcap')).toBe(false);
  });

  it('removing every file leaves an empty analysis', async () => {
    const h = harness();
    h.send({ type: 'add', files: [{ id: 'x' as FileId, file: file(pcap(), 'node1-eth0.pcap'), name: 'node1-eth0.pcap' }] });
    await h.next('analysis');
    const mark = h.messages.length;
    h.send({ type: 'remove', ids: ['x' as FileId] });
    expect((await h.next('analysis', () => true, mark)).report).toBeNull();
  });

  it('two files of one name are told apart and both analysed', async () => {
    const h = harness();
    h.send({
      type: 'add',
      files: [
        { id: 'x' as FileId, file: file(pcap(), 'node1-eth0.pcap'), name: 'node1-eth0.pcap' },
        { id: 'y' as FileId, file: file(pcap(), 'node1-eth0.pcap'), name: 'node1-eth0.pcap' },
      ],
    });
    const a = await h.next('analysis');
    expect(a.report!.captures.map((c) => c.file)).toEqual(['node1-eth0.pcap', 'node1-eth0 (2).pcap']);
    // Both captures of node1's eth0, at the same time: not one capture's files (correlate/parts.ts), so two points, the second named by its file.
    expect(a.report!.captures.map((c) => `${c.node}/${c.interface}`)).toEqual(['node1/eth0', 'node1/eth0 (node1-eth0 (2).pcap)']);
  });
});
