import { baseName } from '@/lib/util/names';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { CaptureStats } from '@/lib/decode/stats';

/**
 * State of the capture inspector page. React-free: the provider creates one store per page, and
 * tests drive it with a fake summarizer and fetch.
 */

export type EntryId = string & { readonly __brand: 'EntryId' };

export type NamedBlob = Blob & { name: string };

export type Summarize = (
  file: NamedBlob,
  onProgress?: (bytesRead: number, total: number) => void,
) => Promise<CaptureStats>;

export type CaptureSource = 'upload' | 'sample';

interface EntryBase {
  id: EntryId;
  name: string;
  size: number;
  source: CaptureSource;
}

export type CaptureEntry =
  | (EntryBase & { status: 'queued' })
  | (EntryBase & { status: 'reading'; bytesRead: number; total: number })
  | (EntryBase & { status: 'done'; stats: CaptureStats })
  | (EntryBase & { status: 'error'; message: string });

export interface SampleEntry {
  file: string;
  title: string;
  /**
   * Files that come with the capture, under public/samples: a node's interface list
   * (`<sample>/<node>-links.txt`), loaded beside it under its own name.
   */
  companions?: string[];
}

export type SamplesState =
  | { status: 'loading' }
  | { status: 'ready'; entries: SampleEntry[] }
  | { status: 'unavailable'; reason: string };

export interface InspectorActions {
  addFiles(files: readonly NamedBlob[], source?: CaptureSource): EntryId[];
  remove(id: EntryId): void;
  clear(): void;
  /** Fetch the sample manifest, then load `?sample=` or, with no other input, the first sample. */
  init(requestedSample: string | null): Promise<void>;
  loadSample(file: string): Promise<void>;
}

export interface InspectorState {
  entries: CaptureEntry[];
  samples: SamplesState;
  /** Kept in one object so that selecting the actions never yields a new reference. */
  actions: InspectorActions;
}

export type InspectorStore = StoreApi<InspectorState>;

export interface InspectorDeps {
  summarize: Summarize;
  fetch: typeof fetch;
  /** Files summarised at once; the rest wait in order. */
  concurrency?: number;
  /** Minimum milliseconds between two progress updates of one file. */
  progressIntervalMs?: number;
  now?: () => number;
}

export const SAMPLES_BASE = '/samples/';
export const SAMPLES_MANIFEST = `${SAMPLES_BASE}index.json`;
/** `?sample=none` opens an empty inspector. */
export const SAMPLE_NONE = 'none';

/** A manifest entry must name a file inside public/samples/, never a path out of it. */
function isSafeSampleFile(file: string): boolean {
  return (
    file.length > 0 &&
    !file.startsWith('/') &&
    !file.includes('\\') &&
    !/^[a-z][a-z0-9+.-]*:/i.test(file) &&
    file.split('/').every((part) => part !== '' && part !== '.' && part !== '..')
  );
}

/** Validates `public/samples/index.json`; throws with a message fit for the UI. */
export function parseSampleManifest(json: unknown): SampleEntry[] {
  if (!Array.isArray(json)) throw new Error('manifest is not a JSON array');
  const entries: SampleEntry[] = [];
  for (const item of json as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const { file, title, companions } = item as { file?: unknown; title?: unknown; companions?: unknown };
    if (typeof file !== 'string' || !isSafeSampleFile(file)) continue;
    const extra = Array.isArray(companions) ? companions.filter((c): c is string => typeof c === 'string' && isSafeSampleFile(c)) : [];
    entries.push({ file, title: typeof title === 'string' && title.trim() ? title : file, ...(extra.length > 0 ? { companions: extra } : {}) });
  }
  return entries;
}

export function sampleUrl(file: string): string {
  return SAMPLES_BASE + file.split('/').map(encodeURIComponent).join('/');
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error && err.message) return err.message;
  return String(err);
}

/**
 * Fetch and parse the sample manifest once; both pages' stores report the outcome through
 * `onState` and get the entries ([] when unavailable).
 */
export function sampleManifestLoader(
  fetchFn: (url: string, init?: RequestInit) => Promise<Response>,
  onState: (state: SamplesState) => void,
): () => Promise<SampleEntry[]> {
  let manifest: Promise<SampleEntry[]> | null = null;
  return () =>
    (manifest ??= (async () => {
      try {
        const res = await fetchFn(SAMPLES_MANIFEST, { cache: 'no-store' });
        if (!res.ok) throw new Error(`${SAMPLES_MANIFEST} answered HTTP ${res.status}`);
        const entries = parseSampleManifest(await res.json());
        onState({ status: 'ready', entries });
        return entries;
      } catch (err) {
        onState({ status: 'unavailable', reason: errorMessage(err) });
        return [];
      }
    })());
}

export function createInspectorStore(deps: InspectorDeps): InspectorStore {
  const concurrency = Math.max(1, deps.concurrency ?? 2);
  const progressIntervalMs = deps.progressIntervalMs ?? 100;
  const now = deps.now ?? (() => Date.now());
  const queue: { id: EntryId; file: NamedBlob }[] = [];
  const files = new Map<EntryId, NamedBlob>();
  let running = 0;
  let nextId = 0;
  let initStarted = false;

  return createStore<InspectorState>()((set, get) => {
    const update = (id: EntryId, next: (e: CaptureEntry) => CaptureEntry) => {
      set((s) => ({ entries: s.entries.map((e) => (e.id === id ? next(e) : e)) }));
    };
    // A removed entry's result is dropped: the reader cannot be cancelled, only ignored.
    const exists = (id: EntryId) => files.has(id);

    const run = async (id: EntryId, file: NamedBlob) => {
      let last = -Infinity;
      update(id, (e) => ({ ...base(e), status: 'reading', bytesRead: 0, total: file.size }));
      try {
        const stats = await deps.summarize(file, (bytesRead, total) => {
          const t = now();
          if (t - last < progressIntervalMs || !exists(id)) return;
          last = t;
          update(id, (e) => ({ ...base(e), status: 'reading', bytesRead, total }));
        });
        if (exists(id)) update(id, (e) => ({ ...base(e), status: 'done', stats }));
      } catch (err) {
        if (exists(id)) update(id, (e) => ({ ...base(e), status: 'error', message: errorMessage(err) }));
      } finally {
        files.delete(id);
      }
    };

    const pump = () => {
      while (running < concurrency) {
        const job = queue.shift();
        if (!job) return;
        running++;
        void run(job.id, job.file).finally(() => {
          running--;
          pump();
        });
      }
    };

    const fetchManifest = sampleManifestLoader(deps.fetch, (samples) => set({ samples }));

    const addError = (name: string, message: string) => {
      const id = `e${++nextId}` as EntryId;
      set((s) => ({ entries: [...s.entries, { id, name, size: 0, source: 'sample', status: 'error', message }] }));
    };

    const actions: InspectorActions = {
      addFiles(list, source = 'upload') {
        const added: CaptureEntry[] = list.map((file) => {
          const id = `f${++nextId}` as EntryId;
          files.set(id, file);
          queue.push({ id, file });
          return { id, name: file.name, size: file.size, source, status: 'queued' };
        });
        if (added.length === 0) return [];
        set((s) => ({ entries: [...s.entries, ...added] }));
        pump();
        return added.map((e) => e.id);
      },

      remove(id) {
        files.delete(id);
        const i = queue.findIndex((j) => j.id === id);
        if (i >= 0) queue.splice(i, 1);
        set((s) => ({ entries: s.entries.filter((e) => e.id !== id) }));
      },

      clear() {
        files.clear();
        queue.length = 0;
        set({ entries: [] });
      },

      async loadSample(file) {
        const name = baseName(file);
        let blob: Blob;
        try {
          const res = await deps.fetch(sampleUrl(file));
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          blob = await res.blob();
        } catch (err) {
          addError(name, `Could not fetch sample ${file} from ${SAMPLES_BASE}: ${errorMessage(err)}`);
          return;
        }
        get().actions.addFiles([new File([blob], name, { type: blob.type })], 'sample');
      },

      async init(requestedSample) {
        if (initStarted) return;
        initStarted = true;
        const entries = await fetchManifest();
        if (requestedSample === SAMPLE_NONE) return;
        if (requestedSample) {
          const hit = entries.find((e) => e.file === requestedSample);
          if (hit) await get().actions.loadSample(hit.file);
          else addError(requestedSample, `Sample "${requestedSample}" is not listed in ${SAMPLES_MANIFEST}.`);
          return;
        }
        // The user's own files win over the sample, even when they arrived before the manifest.
        const first = entries[0];
        if (first && get().entries.length === 0) await get().actions.loadSample(first.file);
      },
    };

    return { entries: [], samples: { status: 'loading' }, actions };
  });
}

function base(e: CaptureEntry): EntryBase {
  return { id: e.id, name: e.name, size: e.size, source: e.source };
}
