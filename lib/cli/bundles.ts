/**
 * Capture-kit bundles given to `analyze`: `<node>-hopscope.tar.gz` files, or folders they were
 * unpacked into (manifest.json, captures/, state/). Their captures join the other inputs (an
 * archive's are written to a temporary folder, removed at exit) and their state is parsed for
 * the cause checks.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseNodeState, type NodeState, type StateFiles } from '../nodestate/state';
import { BUNDLE_FILE, MAX_BUNDLE_BYTES, openBundle } from '../nodestate/bundle';


const isBundleDir = (p: string) => existsSync(join(p, 'manifest.json')) && existsSync(join(p, 'captures')) && statSync(join(p, 'captures')).isDirectory();

/** The paths with bundles replaced by their captures folders, and the nodes' states. */
export function openBundles(paths: string[]): { paths: string[]; states: Map<string, NodeState> } {
  const states = new Map<string, NodeState>();
  const out: string[] = [];
  let tmp: string | null = null;
  for (const p of paths) {
    const st = statSync(p, { throwIfNoEntry: false });
    if (st?.isDirectory() && isBundleDir(p)) {
      const files: StateFiles = new Map([['manifest.json', readFileSync(join(p, 'manifest.json'), 'utf8')]]);
      const stateDir = join(p, 'state');
      if (existsSync(stateDir)) for (const f of readdirSync(stateDir)) files.set(f, readFileSync(join(stateDir, f), 'utf8'));
      const s = parseNodeState(files);
      states.set(s.node, s);
      out.push(join(p, 'captures'));
    } else if (st?.isFile() && BUNDLE_FILE.test(p)) {
      const bundle = openBundle(new Uint8Array(gunzipSync(readFileSync(p), { maxOutputLength: MAX_BUNDLE_BYTES })), basename(p));
      if (!tmp) {
        tmp = mkdtempSync(join(tmpdir(), 'hopscope-bundle-'));
        const dir = tmp;
        process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
      }
      // One folder per bundle given, however their names clash.
      const dir = join(tmp, `${out.length}-${basename(p).replace(BUNDLE_FILE, '')}`);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      for (const c of bundle.captures) writeFileSync(join(dir, basename(c.name)), c.bytes);
      const s = parseNodeState(bundle.state);
      states.set(s.node, s);
      out.push(dir);
    } else out.push(p);
  }
  return { paths: out, states };
}
