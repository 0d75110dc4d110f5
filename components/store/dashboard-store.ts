import { createStore, type StoreApi } from 'zustand/vanilla';
import type { AnalysisReport } from '@/lib/analyze';
import type {
  FileAnalysis,
  FileId,
  FileSummary,
  FromWorker,
  NodeLabel,
  PacketAnatomyDetail,
  PacketDetail,
  PacketPage,
  PointInfo,
  ToWorker,
} from '@/lib/worker/protocol';
import { defaultStation, NO_FILTERS, type FlowFilters } from '@/lib/viz/flow-list';
import { sampleName } from '@/lib/viz/url-state';
import { baseName } from '@/lib/util/names';
import { errorMessage, sampleManifestLoader, SAMPLES_MANIFEST, sampleUrl, type SamplesState } from './inspector-store';
import { downloadSharedFile, uniqueUploadNames, type ShareFile } from '@/lib/incident/client';
import type { IncidentMeta } from '@/lib/incident/types';
import type { InterfaceRole } from '@/lib/protocols/devices';
import { BUNDLE_FILE, MAX_BUNDLE_BYTES, openBundle } from '@/lib/nodestate/bundle';

/** A bundle's captures as files, and the node's recorded state as one JSON file the worker reads. */
async function expandBundle(file: File, name: string): Promise<{ file: File }[]> {
  // Inflated with a cap: a bundle is a few ring buffers, a gzip bomb is not.
  const parts: Uint8Array[] = [];
  let size = 0;
  const reader = file.stream().pipeThrough(new DecompressionStream('gzip')).getReader();
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    size += r.value.length;
    if (size > MAX_BUNDLE_BYTES) {
      await reader.cancel();
      throw new Error(`inflates to more than ${MAX_BUNDLE_BYTES / 2 ** 30} GiB: not a capture kit bundle`);
    }
    parts.push(r.value);
  }
  const tar = new Uint8Array(await new Blob(parts as BlobPart[]).arrayBuffer());
  const b = openBundle(tar, name);
  return [
    ...b.captures.map((c) => ({ file: new File([c.bytes], c.name) })),
    { file: new File([JSON.stringify(Object.fromEntries(b.state))], `${b.node}.hopscope-state.json`) },
  ];
}

/**
 * State of the dashboard page. React-free: the provider creates one per page and connects it to
 * the analysis worker; the tests connect it to the engine in-process.
 */

/** The worker as the store sees it: messages both ways. */
export interface WorkerPort {
  post(msg: ToWorker): void;
  subscribe(handler: (msg: FromWorker) => void): () => void;
}

export type FileStatus = 'queued' | 'reading' | 'loaded' | 'error' | 'cancelled';
export type FileSource = 'upload' | 'sample' | 'shared';

export interface FileEntry {
  id: FileId;
  name: string;
  size: number;
  source: FileSource;
  status: FileStatus;
  bytesRead: number;
  summary: FileSummary | null;
  error: string | null;
  /** The label the user set, or null for the detected one. */
  label: NodeLabel | null;
  /** Its capture points in the last analysis. */
  analysis: FileAnalysis | null;
  /** A node's interface list (`<node>-links.txt`) rather than a capture: for which node, how many names. */
  links: { node: string; interfaces: number } | null;
  /** A node's recorded state from a capture-kit bundle: for which node, how many files. */
  state: { node: string; files: number } | null;
}

export interface AnalysisState {
  status: 'idle' | 'running' | 'ready' | 'error';
  generation: number;
  report: AnalysisReport | null;
  points: PointInfo[];
  epochSec: number;
  message: string | null;
  ms: number;
  /** Flows of the report still on their way from the worker: shown once the last batch has come. */
  flowsToCome: number;
}

export interface Selection {
  flow: number | null;
  point: number | null;
  /** The packet (group) picked in the packet list, for the ladder. */
  group: number | null;
}

export interface DashboardActions {
  /** Reads the manifest, then `?sample=` or keeps `?flow=&point=` for files dropped later. */
  init(url: { sample: string | null; flow: number | null; point: number | null }): Promise<void>;
  addFiles(files: readonly { file: File; name?: string; label?: NodeLabel | null }[], source?: FileSource): FileId[];
  /**
   * Starts the analysis worker, which starts its index workers, ahead of the first file: the page
   * calls it once it is idle after loading, so that a drop does not wait while they load.
   */
  prepare(): void;
  removeFile(id: FileId): void;
  clearAll(): void;
  relabel(id: FileId, label: NodeLabel | null): void;
  /** Correct a capture point's role ("node/interface"); null gives it back to names and traffic. */
  setRole(point: string, role: InterfaceRole | null): void;
  cancel(): void;
  retry(id: FileId): void;
  /** Opens a sample as the incident: the files loaded so far are replaced. */
  loadSample(file: string): Promise<void>;
  selectFlow(id: number | null): void;
  selectStation(point: number | null): void;
  selectPacket(group: number | null): void;
  setFilters(f: Partial<FlowFilters>): void;
  dismissNotice(): void;
  fetchPackets(flow: number, point: number, offset: number, limit: number): Promise<PacketPage>;
  fetchPacket(flow: number, group: number, point: number): Promise<PacketDetail>;
  /** One packet at every station that saw it: bytes, layers, fields, diffs and MTU arithmetic. */
  fetchAnatomy(flow: number, group: number): Promise<PacketAnatomyDetail>;
  exportPcap(flow: number, point: number): Promise<{ blob: Blob; fileName: string; packets: number; skipped: number }>;
  /** A comment on a flow, by flow key, to share with the incident; empty text removes it. */
  setComment(flowKey: string, text: string): void;
  /** The loaded files as they would be shared: unique names, labels, cut to headers if asked. */
  shareFiles(headersOnly: boolean, onFile?: (done: number, total: number) => void, withState?: boolean): Promise<ShareFile[]>;
  /** Open a shared incident: download its files (with progress) and analyse them as shared. */
  openShared(meta: IncidentMeta): Promise<void>;
}

export interface DashboardState {
  files: FileEntry[];
  analysis: AnalysisState;
  selection: Selection;
  filters: FlowFilters;
  samples: SamplesState;
  /** The sample the incident came from (for the URL), or null for the user's files. */
  sample: string | null;
  /** A selection the URL asked for, applied when an analysis has that flow. */
  pending: { flow: number; point: number | null } | null;
  notice: string | null;
  /** Comments on flows, by flow key: written here, or read from a shared incident. */
  comments: Record<string, string>;
  /** Roles the user corrected, by "node/interface". */
  roles: Record<string, InterfaceRole>;
  /** The shared incident this page shows, when it shows one. */
  shared: IncidentMeta | null;
  /** Bytes of a shared incident's files downloaded so far; null when not downloading. */
  download: { done: number; total: number; error: string | null } | null;
  actions: DashboardActions;
}

export type DashboardStore = StoreApi<DashboardState>;

export interface DashboardDeps {
  connect(): WorkerPort;
  fetch: typeof fetch;
}

const IDLE: AnalysisState = { status: 'idle', generation: 0, report: null, points: [], epochSec: 0, message: null, ms: 0, flowsToCome: 0 };


/** Bytes read over bytes to read, across the files of the current load; null when idle. */
export function overallProgress(files: readonly FileEntry[]): { done: number; total: number; files: number } | null {
  const busy = files.filter((f) => f.status === 'queued' || f.status === 'reading');
  if (busy.length === 0) return null;
  const total = files.reduce((n, f) => n + f.size, 0);
  const done = files.reduce((n, f) => n + (f.status === 'queued' || f.status === 'reading' ? f.bytesRead : f.size), 0);
  return { done, total, files: busy.length };
}

export function createDashboardStore(deps: DashboardDeps): DashboardStore {
  let port: WorkerPort | null = null;
  let nextId = 0;
  let nextReq = 0;
  let initStarted = false;
  /** The File behind each entry: sharing sends the very bytes the analysis read. */
  const blobs = new Map<FileId, File>();
  let sharedSeq = 0;
  const pendingReqs = new Map<number, { resolve: (m: FromWorker) => void; reject: (e: Error) => void }>();

  return createStore<DashboardState>()((set, get) => {
    const updateFile = (id: FileId, next: (f: FileEntry) => Partial<FileEntry>) =>
      set((s) => ({ files: s.files.map((f) => (f.id === id ? { ...f, ...next(f) } : f)) }));

    /**
     * After an analysis: the URL's selection if it fits, else keep what fits, else the worst flow.
     * Returned, not set, so that the report and its selection reach the screen in one render.
     */
    const settledSelection = (report: AnalysisReport | null, before: { flow: number | null; point: number | null } = get().selection): Partial<DashboardState> => {
      const s = get();
      if (!report || report.flows.length === 0) return { selection: { flow: null, point: null, group: null } };
      const byId = (id: number | null) => (id === null ? undefined : report.flows.find((f) => f.id === id));
      const pick = (flow: AnalysisReport['flows'][number], point: number | null) => ({
        flow: flow.id,
        point: point !== null && flow.hops.some((h) => h.point === point) ? point : defaultStation(flow),
        group: null,
      });
      const pending = s.pending ? byId(s.pending.flow) : undefined;
      if (pending) return { selection: pick(pending, s.pending!.point), pending: null, notice: null };
      const kept = byId(before.flow);
      if (kept) return { selection: pick(kept, before.point) };
      return { selection: pick(report.flows[0]!, null) };
    };

    /**
     * The rest of the shown analysis's flows (`analysis-flows`), kept until the last batch has
     * come; with the selection from before the analysis (a flow the first batch may lack) and the
     * one made for now, which the first gives way to only if the user has not chosen meanwhile.
     */
    let coming: {
      generation: number;
      /** The index of the next flow to ask for, and how many are still to come. */
      from: number;
      left: number;
      flows: AnalysisReport['flows'][];
      before: { flow: number | null; point: number | null };
      meanwhile: number | null;
    } | null = null;
    /**
     * Asks for the next batch once the page is idle: the verdict and the panels (a deferred
     * render that batches arriving meanwhile would cut into) are drawn first, and input is
     * answered between batches. A page that stays busy asks within 100 ms anyway.
     */
    const askForMore = () => {
      const c = coming;
      if (!c) return;
      const ask = () => coming === c && port?.post({ type: 'more-flows', generation: c.generation, from: c.from });
      // A hidden tab is never idle and its timers are slowed to once a second: ask at once there.
      if (typeof document !== 'undefined' && document.hidden) ask();
      else if (typeof requestIdleCallback === 'function') requestIdleCallback(ask, { timeout: 100 });
      else setTimeout(ask, 0);
    };
    /** The analysis the worker last said it started; and the latest whose report a lost message may have cut short (never shown). */
    let started = 0;
    let spoiled = -1;
    /**
     * Why the worker was lost before it ever answered (it could not start: a blocked script, an
     * old browser), once it was: files given after that are not sent to it. A worker lost later
     * (an answer that could not be read) may still answer, and is asked again.
     */
    let lost: string | null = null;
    let heard = false;
    const onMessage = (m: FromWorker) => {
      if (m.type !== 'worker-lost') heard = true;
      switch (m.type) {
        case 'file-reading':
          updateFile(m.id, () => ({ status: 'reading', bytesRead: 0 }));
          return;
        case 'file-progress':
          updateFile(m.id, (f) => (f.status === 'reading' || f.status === 'queued' ? { status: 'reading', bytesRead: m.bytesRead } : {}));
          return;
        case 'file-loaded':
          updateFile(m.id, (f) => ({ status: 'loaded', bytesRead: f.size, summary: m.summary, error: null }));
          return;
        case 'state-loaded':
          updateFile(m.id, (f) => ({ status: 'loaded', bytesRead: f.size, state: { node: m.node, files: m.files }, error: null }));
          return;
        case 'links-loaded':
          updateFile(m.id, (f) => ({ status: 'loaded', bytesRead: f.size, links: { node: m.node, interfaces: m.interfaces }, error: null }));
          return;
        case 'file-error':
          updateFile(m.id, () => ({ status: 'error', error: m.message, summary: null }));
          return;
        case 'file-cancelled':
          updateFile(m.id, () => ({ status: 'cancelled', bytesRead: m.bytesRead }));
          return;
        case 'analysing':
          started = m.generation;
          set((s) => ({ analysis: { ...s.analysis, status: 'running' } }));
          return;
        case 'analysis': {
          if (m.generation <= spoiled) return;
          // The worst flows come first: the verdict shows now, the rest of the list when it has come.
          const before = get().selection;
          const selection = settledSelection(m.report);
          coming =
            m.flowsToCome > 0 && m.report
              ? { generation: m.generation, from: m.report.flows.length, left: m.flowsToCome, flows: [], before, meanwhile: selection.selection?.flow ?? null }
              : null;
          set((s) => ({
            analysis: { status: 'ready', generation: m.generation, report: m.report, points: m.points, epochSec: m.epochSec, message: null, ms: m.ms, flowsToCome: m.flowsToCome },
            files: s.files.map((f) => ({ ...f, analysis: m.files[f.id] ?? null })),
            ...selection,
          }));
          askForMore();
          return;
        }
        case 'analysis-flows': {
          if (m.generation <= spoiled || coming?.generation !== m.generation) return;
          coming.flows.push(m.flows);
          coming.from += m.flows.length;
          coming.left -= m.flows.length;
          if (coming.left > 0) return askForMore();
          const done = coming;
          coming = null;
          const shown = get().analysis;
          if (shown.generation !== m.generation || !shown.report) return;
          const report = { ...shown.report, flows: [...shown.report.flows, ...done.flows.flat()] };
          // The flow the URL asked for, or the one selected before this analysis, may be among
          // those that came last: it is selected now unless the user has picked another meanwhile.
          const restore = get().selection.flow === done.meanwhile && done.before.flow !== done.meanwhile;
          const selection = get().pending || restore ? settledSelection(report, restore ? done.before : undefined) : {};
          set({ analysis: { ...shown, report, flowsToCome: 0 }, ...selection });
          return;
        }
        case 'analysis-error':
          coming = null;
          set((s) => ({ analysis: { ...IDLE, status: 'error', generation: m.generation, message: m.message }, selection: { ...s.selection, group: null } }));
          return;
        case 'worker-lost':
          // No request or file waiting on the worker will be answered, and the report of the
          // analysis under way (or the last one) may lack the flows the lost message carried:
          // the rest of it is not shown as if whole.
          coming = null;
          if (!heard) lost = m.message;
          spoiled = Math.max(started, get().analysis.generation);
          for (const p of pendingReqs.values()) p.reject(new Error(m.message));
          pendingReqs.clear();
          set((s) => ({
            files: s.files.map((f) => (f.status === 'queued' || f.status === 'reading' ? { ...f, status: 'error', error: m.message, summary: null } : f)),
            analysis: { ...IDLE, status: 'error', generation: -1, message: m.message },
            selection: { ...s.selection, group: null },
          }));
          return;
        case 'packets':
        case 'packet':
        case 'anatomy':
        case 'export':
        case 'cut':
        case 'request-error': {
          const p = pendingReqs.get(m.req);
          if (!p) return;
          pendingReqs.delete(m.req);
          if (m.type === 'request-error') p.reject(new Error(m.message));
          else p.resolve(m);
          return;
        }
      }
    };

    const worker = (): WorkerPort => {
      if (!port) {
        port = deps.connect();
        port.subscribe(onMessage);
      }
      return port;
    };

    const request = <T extends FromWorker['type']>(build: (req: number, generation: number) => ToWorker): Promise<Extract<FromWorker, { type: T }>> => {
      const req = ++nextReq;
      const generation = get().analysis.generation;
      return new Promise((resolve, reject) => {
        pendingReqs.set(req, { resolve: resolve as (m: FromWorker) => void, reject });
        worker().post(build(req, generation));
      });
    };

    const fetchManifest = sampleManifestLoader(deps.fetch, (samples) => set({ samples }));

    const actions: DashboardActions = {
      async init(url) {
        if (initStarted) return;
        initStarted = true;
        if (url.flow !== null) set({ pending: { flow: url.flow, point: url.point } });
        const entries = await fetchManifest();
        if (url.sample) {
          const hit = entries.find((e) => e.file === url.sample || sampleName(e.file) === url.sample);
          if (hit) await actions.loadSample(hit.file);
          else set({ notice: `The sample "${url.sample}" is not listed in ${SAMPLES_MANIFEST}.`, pending: null });
          return;
        }
        if (url.flow !== null && get().files.length === 0 && !get().shared) {
          set({
            notice:
              'This link selects a flow of captures that were dropped into the page. Files cannot come back from a link: drop the same captures again and the view returns to that flow.',
          });
        }
      },

      prepare() {
        worker();
      },

      addFiles(list, source = 'upload') {
        // A capture kit's bundle opens into its captures and its node's recorded state.
        const bundles = list.filter((x) => BUNDLE_FILE.test(x.name ?? x.file.name));
        for (const b of bundles) {
          const name = b.name ?? b.file.name;
          void expandBundle(b.file, name).then(
            (files) => actions.addFiles(files, source),
            (err: unknown) => set({ notice: `${name}: ${err instanceof Error ? err.message : String(err)}` }),
          );
        }
        list = list.filter((x) => !bundles.includes(x));
        if (list.length === 0) return [];
        const added: FileEntry[] = list.map(({ file, name }, i) => ({
          id: `f${++nextId}` as FileId,
          name: name ?? file.name,
          size: file.size,
          source,
          // After the worker was lost (one that failed to start while the page was idle, say), a
          // file sent to it would wait for ever: it says why it cannot be read instead.
          status: lost === null ? 'queued' : 'error',
          bytesRead: 0,
          summary: null,
          error: lost,
          label: list[i]!.label ?? null,
          analysis: null,
          links: null,
          state: null,
        }));
        added.forEach((e, i) => blobs.set(e.id, list[i]!.file));
        set((s) => ({ files: [...s.files, ...added], sample: source === 'sample' ? s.sample : null }));
        if (lost !== null) return added.map((e) => e.id);
        worker().post({
          type: 'add',
          files: added.map((e, i) => ({ id: e.id, file: list[i]!.file, name: e.name, ...(e.label ? { label: e.label } : {}) })),
        });
        return added.map((e) => e.id);
      },

      removeFile(id) {
        blobs.delete(id);
        set((s) => ({ files: s.files.filter((f) => f.id !== id) }));
        worker().post({ type: 'remove', ids: [id] });
      },

      clearAll() {
        const ids = get().files.map((f) => f.id);
        blobs.clear();
        const hadRoles = Object.keys(get().roles).length > 0;
        set({ files: [], sample: null, selection: { flow: null, point: null, group: null }, roles: {} });
        if (hadRoles) worker().post({ type: 'roles', roles: {} });
        if (ids.length) worker().post({ type: 'remove', ids });
      },

      setRole(point, role) {
        const roles = { ...get().roles };
        if (role === null) delete roles[point];
        else roles[point] = role;
        set({ roles });
        worker().post({ type: 'roles', roles });
      },

      relabel(id, label) {
        const clean = label && label.node.trim() && label.interface.trim() ? { node: label.node.trim(), interface: label.interface.trim() } : null;
        updateFile(id, () => ({ label: clean }));
        worker().post({ type: 'relabel', id, label: clean });
      },

      cancel() {
        worker().post({ type: 'cancel' });
      },

      retry(id) {
        if (lost !== null) return updateFile(id, () => ({ status: 'error', error: lost }));
        updateFile(id, () => ({ status: 'queued', bytesRead: 0, error: null }));
        worker().post({ type: 'retry', id });
      },

      async loadSample(file) {
        actions.clearAll();
        set({ sample: sampleName(file), notice: null });
        // The capture, and what comes with it (a node's interface list names its -i any points).
        const companions = (await fetchManifest()).find((e) => e.file === file)?.companions ?? [];
        const fetchBlob = async (f: string) => {
          const res = await deps.fetch(sampleUrl(f));
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          return new File([await res.blob()], baseName(f));
        };
        const [capture, ...extras] = await Promise.allSettled([file, ...companions].map(fetchBlob));
        if (capture!.status === 'rejected') {
          set({ notice: `Could not fetch the sample ${file}: ${errorMessage(capture!.reason)}` });
          return;
        }
        if (get().sample !== sampleName(file)) return; // another sample or a drop came first
        // A companion that did not come costs only its names: the capture is analysed all the same.
        const came = extras.flatMap((r) => (r.status === 'fulfilled' ? [{ file: r.value }] : []));
        actions.addFiles([{ file: capture!.value }, ...came], 'sample');
      },

      selectFlow(id) {
        const report = get().analysis.report;
        const flow = report?.flows.find((f) => f.id === id);
        // The user's choice: a flow the URL asked for, not there yet, no longer takes over.
        set({ selection: { flow: flow ? flow.id : null, point: flow ? defaultStation(flow) : null, group: null }, pending: null });
      },

      selectStation(point) {
        set((s) => ({ selection: { ...s.selection, point, group: null } }));
      },

      selectPacket(group) {
        set((s) => ({ selection: { ...s.selection, group } }));
      },

      setFilters(f) {
        set((s) => ({ filters: { ...s.filters, ...f } }));
      },

      dismissNotice() {
        set({ notice: null });
      },

      async fetchPackets(flow, point, offset, limit) {
        const m = await request<'packets'>((req, generation) => ({ type: 'packets', req, generation, flow, point, offset, limit }));
        return m.page;
      },

      async fetchPacket(flow, group, point) {
        const m = await request<'packet'>((req, generation) => ({ type: 'packet', req, generation, flow, group, point }));
        return m.detail;
      },

      async fetchAnatomy(flow, group) {
        const m = await request<'anatomy'>((req, generation) => ({ type: 'anatomy', req, generation, flow, group }));
        return m.detail;
      },

      async exportPcap(flow, point) {
        const m = await request<'export'>((req, generation) => ({ type: 'export-pcap', req, generation, flow, point }));
        return { blob: m.blob, fileName: m.fileName, packets: m.packets, skipped: m.skipped };
      },

      setComment(key, text) {
        set((s) => {
          const comments = { ...s.comments };
          if (text.trim()) comments[key] = text;
          else delete comments[key];
          return { comments };
        });
      },

      async shareFiles(headersOnly, onFile, withState = false) {
        // Interface lists stay on this machine; the nodes' recorded state goes when asked (it is
        // what the shared verdicts' checks read), never cut.
        const loaded = get().files.filter((f) => f.status === 'loaded' && blobs.has(f.id) && !f.links && (!f.state || withState));
        const names = uniqueUploadNames(loaded.map((f) => ({ name: f.name, label: f.label })));
        const out: ShareFile[] = [];
        for (const [i, f] of loaded.entries()) {
          onFile?.(i, loaded.length);
          let blob: Blob = blobs.get(f.id)!;
          if (headersOnly && !f.state) {
            const m = await request<'cut'>((req) => ({ type: 'cut-headers', req, id: f.id }));
            blob = m.blob;
          }
          out.push({ name: names[i]!.name, label: names[i]!.label, blob });
        }
        onFile?.(loaded.length, loaded.length);
        return out;
      },

      async openShared(meta) {
        const seq = ++sharedSeq;
        actions.clearAll();
        const comments: Record<string, string> = {};
        for (const c of meta.comments) comments[c.flow] = c.text;
        const total = meta.files.reduce((n, f) => n + f.size, 0);
        set({ shared: meta, comments, download: { done: 0, total, error: null }, notice: null });
        const done = meta.files.map(() => 0);
        const files: { file: File; label: NodeLabel | null }[] = [];
        try {
          // One file after another: progress reads naturally and the server sees one stream.
          for (const [i, f] of meta.files.entries()) {
            const file = await downloadSharedFile(meta, i, (n) => {
              done[i] = n;
              set({ download: { done: done.reduce((a, b) => a + b, 0), total, error: null } });
            });
            files.push({ file, label: f.node && f.interface ? { node: f.node, interface: f.interface } : null });
          }
        } catch (err) {
          set({ download: { done: done.reduce((a, b) => a + b, 0), total, error: `Could not download the captures: ${errorMessage(err)}` } });
          return;
        }
        // Another incident, or the same one opened again (a remount), took over meanwhile.
        if (seq !== sharedSeq) return;
        set({ download: null });
        actions.addFiles(files, 'shared');
      },
    };

    return {
      files: [],
      analysis: IDLE,
      selection: { flow: null, point: null, group: null },
      filters: NO_FILTERS,
      samples: { status: 'loading' },
      sample: null,
      pending: null,
      notice: null,
      comments: {},
      roles: {},
      shared: null,
      download: null,
      actions,
    };
  });
}
