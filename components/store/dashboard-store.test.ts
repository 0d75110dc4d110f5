import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AnalysisEngine } from '@/lib/worker/engine';
import type { FromWorker } from '@/lib/worker/protocol';
import { SAMPLES } from '@/lib/testing/scenarios';
import { createDashboardStore, overallProgress, type DashboardStore, type FileEntry, type WorkerPort } from './dashboard-store';

/**
 * The engine in-process, answering asynchronously as a worker would; `pass` sees each answer
 * and hands the page what it gets instead (nothing: a message lost).
 */
function inProcessPort(flowsPerMessage?: number, pass: (m: FromWorker) => FromWorker | null = (m) => m): WorkerPort & { tell(m: FromWorker): void } {
  const handlers = new Set<(m: FromWorker) => void>();
  const tell = (m: FromWorker) => handlers.forEach((h) => h(m));
  const engine = new AnalysisEngine({
    post: (m) =>
      queueMicrotask(() => {
        const got = pass(m);
        if (got) tell(got);
      }),
    flowsPerMessage,
  });
  return {
    post: (m) => queueMicrotask(() => engine.handle(m)),
    subscribe(h) {
      handlers.add(h);
      return () => handlers.delete(h);
    },
    tell,
  };
}

const fakeFetch = (routes: Record<string, { status: number; body: unknown }>): typeof fetch =>
  (async (input: RequestInfo | URL) => {
    const r = routes[String(input)];
    if (!r) return new Response('not found', { status: 404 });
    return new Response(r.body instanceof Uint8Array ? (r.body as Uint8Array<ArrayBuffer>) : JSON.stringify(r.body), { status: r.status });
  }) as typeof fetch;

async function until(store: DashboardStore, check: (s: ReturnType<DashboardStore['getState']>) => boolean) {
  for (let i = 0; i < 500 && !check(store.getState()); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check(store.getState())).toBe(true);
}

const dir = join(SAMPLES, 'vxlan-forward-drop');
const have = existsSync(dir);
const files = () =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.pcap'))
    .sort()
    .map((f) => ({ file: new File([readFileSync(join(dir, f))], f) }));

describe.skipIf(!have)('dashboard store', () => {
  it('prepare starts the worker before any file, once, and the files dropped later go to it', async () => {
    let connects = 0;
    const store = createDashboardStore({ connect: () => (connects++, inProcessPort()), fetch: fakeFetch({}) });
    expect(connects).toBe(0);
    store.getState().actions.prepare();
    store.getState().actions.prepare();
    expect(connects).toBe(1);
    store.getState().actions.addFiles(files());
    await until(store, (s) => s.analysis.status === 'ready');
    expect(connects).toBe(1);
    expect(store.getState().analysis.report?.flows.length).toBeGreaterThan(0);
  });

  it('shows the verdict with the worst flow at once, and the whole list only when every batch has come, in order', async () => {
    const whole = createDashboardStore({ connect: () => inProcessPort(), fetch: fakeFetch({}) });
    // A flow per message: what the page had after each change while the analysis was shown.
    const batched = createDashboardStore({ connect: () => inProcessPort(1), fetch: fakeFetch({}) });
    const seen: { flows: number; toCome: number; selected: number | null }[] = [];
    batched.subscribe((s) => {
      if (s.analysis.status === 'ready') seen.push({ flows: s.analysis.report!.flows.length, toCome: s.analysis.flowsToCome, selected: s.selection.flow });
    });
    whole.getState().actions.addFiles(files());
    batched.getState().actions.addFiles(files());
    await until(whole, (s) => s.analysis.status === 'ready');
    await until(batched, (s) => s.analysis.status === 'ready' && s.analysis.flowsToCome === 0);
    const flows = whole.getState().analysis.report!.flows;
    expect(flows.length).toBeGreaterThan(2);
    expect(whole.getState().analysis.flowsToCome).toBe(0);
    // First the worst flow alone, selected (the verdict); the list never grows batch by batch.
    expect(seen[0]).toEqual({ flows: 1, toCome: flows.length - 1, selected: flows[0]!.id });
    expect(seen.every((x) => (x.flows === 1 && x.toCome === flows.length - 1) || (x.flows === flows.length && x.toCome === 0))).toBe(true);
    expect(batched.getState().analysis.report).toEqual(whole.getState().analysis.report);
    expect(batched.getState().selection).toEqual(whole.getState().selection);
  });

  it('a URL selection of a flow that comes in a later batch applies once it has come', async () => {
    const whole = createDashboardStore({ connect: () => inProcessPort(), fetch: fakeFetch({}) });
    whole.getState().actions.addFiles(files());
    await until(whole, (s) => s.analysis.status === 'ready');
    const last = whole.getState().analysis.report!.flows.at(-1)!;
    const store = createDashboardStore({ connect: () => inProcessPort(1), fetch: fakeFetch({ '/samples/index.json': { status: 200, body: [] } }) });
    await store.getState().actions.init({ sample: null, flow: last.id, point: last.hops[0]!.point });
    store.getState().actions.addFiles(files());
    await until(store, (s) => s.analysis.status === 'ready' && s.analysis.flowsToCome === 0);
    expect(store.getState().selection).toMatchObject({ flow: last.id, point: last.hops[0]!.point });
    expect(store.getState().pending).toBeNull();

    // The user picks a flow before that one has come: the pick stands.
    const clicked = createDashboardStore({ connect: () => inProcessPort(1), fetch: fakeFetch({ '/samples/index.json': { status: 200, body: [] } }) });
    await clicked.getState().actions.init({ sample: null, flow: last.id, point: null });
    let picked: number | null = null;
    const stop = clicked.subscribe((s) => {
      if (picked === null && s.analysis.status === 'ready' && s.analysis.flowsToCome > 0) {
        picked = s.analysis.report!.flows[0]!.id;
        queueMicrotask(() => clicked.getState().actions.selectFlow(picked));
      }
    });
    clicked.getState().actions.addFiles(files());
    await until(clicked, (s) => s.analysis.status === 'ready' && s.analysis.flowsToCome === 0);
    stop();
    expect(picked).not.toBeNull();
    expect(clicked.getState().selection.flow).toBe(picked);
  });

  it('loads files through the worker and selects the worst flow at the station where it stops', async () => {
    const store = createDashboardStore({ connect: () => inProcessPort(), fetch: fakeFetch({}) });
    store.getState().actions.addFiles(files());
    expect(store.getState().files.every((f) => f.status === 'queued')).toBe(true);
    await until(store, (s) => s.analysis.status === 'ready');
    const s = store.getState();
    expect(s.files.every((f) => f.status === 'loaded' && f.summary && f.analysis?.points.length === 1)).toBe(true);
    const worst = s.analysis.report!.flows[0]!;
    expect(s.selection.flow).toBe(worst.id);
    const hop = worst.hops.find((h) => h.point === s.selection.point)!;
    expect(`${hop.node}/${hop.interface}`).toBe('node2/flannel.1');

    const page = await s.actions.fetchPackets(worst.id, hop.point, 0, 50);
    expect(page.total).toBe(hop.requests + hop.replies);
  });

  it('a URL selection waits for the dropped files, then applies', async () => {
    const store = createDashboardStore({ connect: () => inProcessPort(), fetch: fakeFetch({ '/samples/index.json': { status: 200, body: [] } }) });
    await store.getState().actions.init({ sample: null, flow: 2, point: 0 });
    expect(store.getState().notice).toMatch(/drop the same captures again/);
    store.getState().actions.addFiles(files());
    await until(store, (s) => s.analysis.status === 'ready');
    expect(store.getState().selection).toMatchObject({ flow: 2, point: 0 });
    expect(store.getState().notice).toBeNull();
  });

  it('?sample= fetches the sample and marks the incident as that sample', async () => {
    const bytes = readFileSync(join(dir, 'all-interfaces.pcapng'));
    const store = createDashboardStore({
      connect: () => inProcessPort(),
      fetch: fakeFetch({
        '/samples/index.json': { status: 200, body: [{ file: 'vxlan-forward-drop.pcapng', title: 'FORWARD drop' }] },
        '/samples/vxlan-forward-drop.pcapng': { status: 200, body: new Uint8Array(bytes) },
      }),
    });
    await store.getState().actions.init({ sample: 'vxlan-forward-drop', flow: null, point: null });
    await until(store, (s) => s.analysis.status === 'ready');
    const s = store.getState();
    expect(s.sample).toBe('vxlan-forward-drop');
    expect(s.files.map((f) => [f.name, f.source])).toEqual([['vxlan-forward-drop.pcapng', 'sample']]);
    expect(s.files[0]!.analysis!.points.length).toBeGreaterThan(5);
    // A dropped file makes it the user's incident: no sample in the URL any more.
    s.actions.addFiles([{ file: new File([new Uint8Array(4)], 'x.pcap') }]);
    expect(store.getState().sample).toBeNull();
  });

  it('an unknown sample is reported, not loaded', async () => {
    const store = createDashboardStore({ connect: () => inProcessPort(), fetch: fakeFetch({ '/samples/index.json': { status: 200, body: [] } }) });
    await store.getState().actions.init({ sample: 'nope', flow: null, point: null });
    expect(store.getState().notice).toMatch(/"nope" is not listed/);
    expect(store.getState().files).toEqual([]);
  });

  it('a worker that fails or loses a message fails what waits on it, never leaves it waiting', async () => {
    // The engine answers until told to go quiet; then the page hears only that a message was lost.
    let quiet = false;
    const port = inProcessPort(undefined, (m) => (quiet ? null : m));
    const store = createDashboardStore({ connect: () => port, fetch: fakeFetch({}) });
    store.getState().actions.addFiles(files());
    await until(store, (s) => s.analysis.status === 'ready');
    const flow = store.getState().analysis.report!.flows[0]!;
    quiet = true;
    const page = store.getState().actions.fetchPackets(flow.id, flow.hops[0]!.point, 0, 50);
    store.getState().actions.addFiles(files().slice(0, 1));
    await new Promise((r) => setTimeout(r, 20));
    expect(store.getState().files.some((f) => f.status === 'queued' || f.status === 'reading')).toBe(true);
    port.tell({ type: 'worker-lost', message: 'An answer from the analysis worker could not be read' });
    await expect(page).rejects.toThrow(/could not be read/);
    const s = store.getState();
    expect(s.analysis.status).toBe('error');
    expect(s.files.filter((f) => f.status === 'queued' || f.status === 'reading')).toEqual([]);
    expect(s.files.filter((f) => f.status === 'error').map((f) => f.error)).toEqual([expect.stringMatching(/could not be read/)]);
  });

  it('a worker that could not start before any file was given: the files given later say so at once, and a retry too', async () => {
    const posted: string[] = [];
    const port = inProcessPort();
    const store = createDashboardStore({ connect: () => ({ ...port, post: (m) => posted.push(m.type) }), fetch: fakeFetch({}) });
    store.getState().actions.prepare();
    port.tell({ type: 'worker-lost', message: 'The analysis worker stopped: it could not be started' });
    const ids = store.getState().actions.addFiles(files());
    const s = store.getState();
    expect(s.files.map((f) => [f.status, f.error])).toEqual(ids.map(() => ['error', 'The analysis worker stopped: it could not be started']));
    store.getState().actions.retry(ids[0]!);
    expect(store.getState().files[0]!.status).toBe('error');
    expect(posted).toEqual([]);
  });

  it('never shows as whole a report one of whose batches of flows was lost, and shows the next analysis', async () => {
    // A batch of flows per message; the second analysis's first batch is lost on the way (the
    // page hears messageerror instead, turned into worker-lost by the provider).
    let lose = false;
    const port = inProcessPort(1, (m) => {
      if (!lose || m.type !== 'analysis-flows') return m;
      lose = false;
      return { type: 'worker-lost', message: 'An answer from the analysis worker could not be read' };
    });
    const store = createDashboardStore({ connect: () => port, fetch: fakeFetch({}) });
    store.getState().actions.addFiles(files());
    await until(store, (s) => s.analysis.status === 'ready' && s.analysis.flowsToCome === 0);
    const whole = store.getState().analysis.report!.flows.length;
    expect(whole).toBeGreaterThan(2);
    const file = store.getState().files[0]!;
    lose = true;
    store.getState().actions.relabel(file.id, { node: 'node1', interface: 'cni0' });
    await until(store, (s) => s.analysis.status === 'error');
    // Nothing of that analysis is shown any more.
    await new Promise((r) => setTimeout(r, 50));
    expect(store.getState().analysis.status).toBe('error');
    expect(store.getState().analysis.report).toBeNull();
    // The next analysis is whole, and shown.
    store.getState().actions.relabel(file.id, null);
    await until(store, (s) => s.analysis.status === 'ready' && s.analysis.flowsToCome === 0);
    expect(store.getState().analysis.report!.flows.length).toBe(whole);
  });

  it('a re-analysis keeps a selected flow that comes in a later batch, unless the user picks another meanwhile', async () => {
    // Two flows a message: the user can pick the second while the rest are coming.
    const store = createDashboardStore({ connect: () => inProcessPort(2), fetch: fakeFetch({}) });
    store.getState().actions.addFiles(files());
    await until(store, (s) => s.analysis.status === 'ready' && s.analysis.flowsToCome === 0);
    const flows = store.getState().analysis.report!.flows;
    const last = flows.at(-1)!.id;
    store.getState().actions.selectFlow(last);
    const id = store.getState().files.find((f) => f.name === 'node1-eth0.pcap')!.id;
    let gen = store.getState().analysis.generation;
    store.getState().actions.relabel(id, { node: 'node1', interface: 'ens3' });
    await until(store, (s) => s.analysis.generation > gen && s.analysis.status === 'ready' && s.analysis.flowsToCome === 0);
    expect(store.getState().selection.flow).toBe(last);
    // Again, but the user picks the second flow while the rest are coming: that stays.
    gen = store.getState().analysis.generation;
    let picked: number | null = null;
    const stop = store.subscribe((s) => {
      if (picked === null && s.analysis.generation > gen && s.analysis.status === 'ready' && s.analysis.flowsToCome > 0) {
        picked = s.analysis.report!.flows[1]!.id;
        expect(s.selection.flow).not.toBe(picked);
        queueMicrotask(() => store.getState().actions.selectFlow(picked));
      }
    });
    store.getState().actions.relabel(id, null);
    await until(store, (s) => s.analysis.generation > gen && s.analysis.status === 'ready' && s.analysis.flowsToCome === 0);
    stop();
    expect(picked).not.toBeNull();
    expect(store.getState().selection.flow).toBe(picked);
  });

  it('a label edit re-analyses and keeps the selected flow', async () => {
    const store = createDashboardStore({ connect: () => inProcessPort(), fetch: fakeFetch({}) });
    store.getState().actions.addFiles(files());
    await until(store, (s) => s.analysis.status === 'ready');
    const flow = store.getState().analysis.report!.flows[1]!.id;
    store.getState().actions.selectFlow(flow);
    const gen = store.getState().analysis.generation;
    const id = store.getState().files.find((f) => f.name === 'node1-eth0.pcap')!.id;
    store.getState().actions.relabel(id, { node: ' node1 ', interface: 'ens3' });
    await until(store, (s) => s.analysis.generation > gen && s.analysis.status === 'ready');
    const s = store.getState();
    expect(s.files.find((f) => f.id === id)!.label).toEqual({ node: 'node1', interface: 'ens3' });
    expect(s.analysis.report!.captures.some((c) => c.interface === 'ens3')).toBe(true);
    expect(s.selection.flow).toBe(flow);
  });
});

describe('overallProgress', () => {
  const f = (status: FileEntry['status'], size: number, bytesRead: number) => ({ status, size, bytesRead }) as FileEntry;
  it('counts finished files whole and is null when nothing is read', () => {
    expect(overallProgress([f('loaded', 100, 100), f('error', 50, 0)])).toBeNull();
    expect(overallProgress([f('loaded', 100, 100), f('reading', 100, 25), f('queued', 200, 0)])).toEqual({ done: 125, total: 400, files: 2 });
  });
});
