import { describe, expect, it } from 'vitest';
import type { CaptureStats } from '@/lib/decode/stats';
import { createInspectorStore, parseSampleManifest, sampleUrl, type NamedBlob, type Summarize } from './inspector-store';

const stats = (fileName: string): CaptureStats => ({
  fileName,
  format: 'pcap',
  gzip: false,
  packets: 1,
  bytes: 100,
  firstTs: '2024-01-01T00:00:00Z',
  lastTs: '2024-01-01T00:00:00Z',
  linkTypes: [{ linkType: 1, name: 'ETHERNET', packets: 1 }],
  interfaces: [{ id: 0, linkType: 1 }],
  hierarchy: [{ path: 'eth', packets: 1, bytes: 100 }],
  warnings: [],
});

const file = (name: string, body = 'x'): NamedBlob => new File([body], name);

const summarize: Summarize = async (f, onProgress) => {
  onProgress?.(f.size, f.size);
  if (f.name.endsWith('.png')) throw new Error(`NOT_A_CAPTURE at byte 0 of ${f.name}: bad magic`);
  return stats(f.name);
};

type FetchResult = { status: number; body?: unknown };
const fakeFetch = (routes: Record<string, FetchResult>): typeof fetch =>
  (async (input: RequestInfo | URL) => {
    const url = String(input);
    const r = routes[url];
    if (!r) return new Response('not found', { status: 404 });
    const body = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
    return new Response(body, { status: r.status });
  }) as typeof fetch;

const settle = () => new Promise((r) => setTimeout(r, 0));

async function until(check: () => boolean) {
  for (let i = 0; i < 100 && !check(); i++) await settle();
  expect(check()).toBe(true);
}

describe('parseSampleManifest', () => {
  it('keeps valid entries and drops paths out of public/samples', () => {
    expect(
      parseSampleManifest([
        { file: 'a.pcap', title: 'A' },
        { file: 'dir/b.pcapng' },
        { file: '../etc/passwd', title: 'no' },
        { file: '/abs.pcap' },
        { file: 'https://example.org/x.pcap' },
        { title: 'no file' },
        'junk',
      ]),
    ).toEqual([
      { file: 'a.pcap', title: 'A' },
      { file: 'dir/b.pcapng', title: 'dir/b.pcapng' },
    ]);
    expect(() => parseSampleManifest({})).toThrow(/array/);
  });

  it("keeps a sample's companion files, only those inside public/samples", () => {
    expect(parseSampleManifest([{ file: 'a.pcapng', title: 'A', companions: ['a.node1-links.txt', '../x.txt', 7, 'https://e.org/y'] }, { file: 'b.pcapng', companions: 'no' }])).toEqual([
      { file: 'a.pcapng', title: 'A', companions: ['a.node1-links.txt'] },
      { file: 'b.pcapng', title: 'b.pcapng' },
    ]);
  });

  it('encodes each path segment', () => {
    expect(sampleUrl('dir/a b#1.pcap')).toBe('/samples/dir/a%20b%231.pcap');
  });
});

describe('createInspectorStore', () => {
  it('summarises good files and keeps a bad one as an error beside them', async () => {
    const store = createInspectorStore({ summarize, fetch: fakeFetch({}) });
    store.getState().actions.addFiles([file('good.pcap'), file('bad.png'), file('other.pcapng')]);
    await until(() => store.getState().entries.every((e) => e.status === 'done' || e.status === 'error'));
    const byName = Object.fromEntries(store.getState().entries.map((e) => [e.name, e]));
    expect(byName['good.pcap']?.status).toBe('done');
    expect(byName['other.pcapng']?.status).toBe('done');
    const bad = byName['bad.png'];
    expect(bad?.status === 'error' && bad.message).toMatch(/bad\.png/);
  });

  it('runs at most `concurrency` files at once', async () => {
    let active = 0;
    let peak = 0;
    const slow: Summarize = async (f) => {
      active++;
      peak = Math.max(peak, active);
      await settle();
      active--;
      return stats(f.name);
    };
    const store = createInspectorStore({ summarize: slow, fetch: fakeFetch({}), concurrency: 2 });
    store.getState().actions.addFiles([1, 2, 3, 4, 5].map((i) => file(`${i}.pcap`)));
    await until(() => store.getState().entries.every((e) => e.status === 'done'));
    expect(peak).toBe(2);
  });

  it('drops the result of a file removed while it was read', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const held: Summarize = async (f) => {
      await gate;
      return stats(f.name);
    };
    const store = createInspectorStore({ summarize: held, fetch: fakeFetch({}) });
    const [id] = store.getState().actions.addFiles([file('a.pcap')]);
    store.getState().actions.remove(id!);
    release();
    await settle();
    expect(store.getState().entries).toEqual([]);
  });

  it('auto-loads the first sample when nothing else was asked for', async () => {
    const store = createInspectorStore({
      summarize,
      fetch: fakeFetch({
        '/samples/index.json': { status: 200, body: [{ file: 'one.pcap', title: 'One' }, { file: 'two.pcap', title: 'Two' }] },
        '/samples/one.pcap': { status: 200, body: 'pcap bytes' },
        '/samples/two.pcap': { status: 200, body: 'pcap bytes' },
      }),
    });
    await store.getState().actions.init(null);
    await until(() => store.getState().entries[0]?.status === 'done');
    expect(store.getState().entries.map((e) => [e.name, e.source])).toEqual([['one.pcap', 'sample']]);
    expect(store.getState().samples).toEqual({
      status: 'ready',
      entries: [
        { file: 'one.pcap', title: 'One' },
        { file: 'two.pcap', title: 'Two' },
      ],
    });
  });

  it('loads ?sample= when listed, reports it when not, and loads nothing for ?sample=none', async () => {
    const routes = {
      '/samples/index.json': { status: 200, body: [{ file: 'one.pcap' }, { file: 'two.pcap' }] },
      '/samples/two.pcap': { status: 200, body: 'pcap bytes' },
    };
    const a = createInspectorStore({ summarize, fetch: fakeFetch(routes) });
    await a.getState().actions.init('two.pcap');
    expect(a.getState().entries.map((e) => e.name)).toEqual(['two.pcap']);

    const b = createInspectorStore({ summarize, fetch: fakeFetch(routes) });
    await b.getState().actions.init('three.pcap');
    const [entry] = b.getState().entries;
    expect(entry?.status === 'error' && entry.message).toMatch(/three\.pcap.*not listed/);

    const c = createInspectorStore({ summarize, fetch: fakeFetch(routes) });
    await c.getState().actions.init('none');
    expect(c.getState().entries).toEqual([]);
  });

  it('skips the auto-load when the user already added files', async () => {
    const store = createInspectorStore({
      summarize,
      fetch: fakeFetch({ '/samples/index.json': { status: 200, body: [{ file: 'one.pcap' }] } }),
    });
    store.getState().actions.addFiles([file('mine.pcap')]);
    await store.getState().actions.init(null);
    expect(store.getState().entries.map((e) => e.name)).toEqual(['mine.pcap']);
  });

  it('treats a missing or broken manifest as no samples', async () => {
    const missing = createInspectorStore({ summarize, fetch: fakeFetch({}) });
    await missing.getState().actions.init(null);
    expect(missing.getState().samples).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/404/) });
    expect(missing.getState().entries).toEqual([]);

    const broken = createInspectorStore({
      summarize,
      fetch: fakeFetch({ '/samples/index.json': { status: 200, body: '{not json' } }),
    });
    await broken.getState().actions.init(null);
    expect(broken.getState().samples.status).toBe('unavailable');
  });
});
