/**
 * The capture kit run by the lab on its own nodes, as an engineer runs it: `hopscope kit` writes
 * the script, it runs as root in each node's namespace under that node's hostname from before
 * the clients start until after they end, and Ctrl-C stops it, which packs the bundle. The
 * bundles land beside the lab's own captures; the checks they lead to are tested against the
 * fault the lab injected (lib/lab/kit-bundles.test.ts).
 */
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kitScript } from '../../lib/kit/script';
import type { KitRun as KitRecord } from '../../lib/lab/scenario';
import type { Lab } from './exec';

/** How long the kit would run on its own: longer than any scenario, which stops it with Ctrl-C. */
const KIT_SECONDS = 900;
/** Scenarios without a fault that keep their bundles: the baseline where nothing may be confirmed. */
export const KIT_HEALTHY = new Set(['vxlan-healthy', 'calico-vxlan-healthy']);

export interface KitHandle {
  /** Ctrl-C on every node's kit; the bundles are moved into `dir`. */
  stop(): Promise<KitRecord>;
}

export async function startKits(lab: Lab, nodes: string[], pods: string[], dir: string): Promise<KitHandle> {
  const work = `${dir}.kit`;
  await rm(work, { recursive: true, force: true });
  const script = kitScript({ pods, seconds: KIT_SECONDS, ringMb: 4 });
  const runs: Array<{ node: string; d: string; bg: Awaited<ReturnType<Lab['start']>> }> = [];
  for (const node of nodes) {
    const d = join(work, node);
    await mkdir(d, { recursive: true });
    await writeFile(join(d, 'hopscope-kit.sh'), script);
    lab.commands.push({ host: node, command: `sh hopscope-kit.sh &  # written by: hopscope kit ${pods.map((p) => `--pod ${p}`).join(' ')} --seconds ${KIT_SECONDS} --ring-mb 4` });
    // unshare --uts: the node's own hostname, which names the bundle, without touching the machine's.
    const bg = await lab.start(node, `kit ${node}`, ['unshare', '--uts', 'sh', '-c', `hostname ${node} && cd ${d} && exec sh hopscope-kit.sh`], /capturing on/, 20_000);
    runs.push({ node, d, bg });
  }
  return {
    async stop() {
      for (const r of runs) lab.commands.push({ host: r.node, command: 'kill -INT $KIT_PID  # Ctrl-C: the kit stops its captures together and packs the bundle' });
      await Promise.all(runs.map((r) => lab.stop(r.bg, 30_000)));
      const bundles: string[] = [];
      for (const r of runs) {
        const name = `${r.node}-hopscope.tar.gz`;
        const files = await readdir(r.d);
        if (!files.includes(name)) throw new Error(`the kit on ${r.node} wrote no bundle: ${r.bg.stderr.trim().split('\n').slice(-3).join('; ')}`);
        await rename(join(r.d, name), join(dir, name));
        bundles.push(name);
      }
      await rm(work, { recursive: true, force: true });
      return { bundles, pods };
    },
  };
}
