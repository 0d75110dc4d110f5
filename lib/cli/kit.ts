/**
 * `hopscope kit --pod IP [--pod IP] [--port N] [--seconds N] [--ring-mb N] [-o FILE]`: writes the
 * capture kit (lib/kit/script.ts) and prints how to run it on each node. With `--kubectl`, a
 * `--pod` that is not an address is a pod's name (`[namespace/]name`): kubectl looks up its
 * addresses and its node, and the how-to names those nodes.
 */
import { execFile } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { kitHowTo, kitScript, KitOptionError, type KitOptions } from '../kit/script';

const ADDRESS = /^[0-9.]+$|:/;

export interface PodLookup {
  /** As given: `web-0` or `default/web-0`. */
  ref: string;
  ips: string[];
  node: string;
  /** What makes its addresses a poor filter: a pod on the host's network, one no longer running. */
  warning?: string;
}

/**
 * A pod's addresses and node from `kubectl get pod NAME -o json`: `status.podIPs` (both families
 * on a dual-stack cluster; `status.podIP` on old API servers) and `spec.nodeName`.
 */
export function podFromKubectlJson(ref: string, json: string): PodLookup {
  let pod: { status?: { phase?: string; podIP?: string; podIPs?: { ip?: string }[]; hostIP?: string }; spec?: { nodeName?: string; hostNetwork?: boolean } };
  try {
    pod = JSON.parse(json) as typeof pod;
  } catch {
    throw new KitOptionError(`kubectl get pod ${ref}: the answer is not JSON`);
  }
  const ips = [...new Set([...(pod.status?.podIPs ?? []).map((p) => p.ip), pod.status?.podIP].filter((ip): ip is string => typeof ip === 'string' && ip !== ''))];
  const node = pod.spec?.nodeName;
  if (ips.length === 0 || !node) throw new KitOptionError(`pod ${ref} has ${ips.length === 0 ? 'no address' : 'no node'} yet (phase ${pod.status?.phase ?? 'unknown'}): the kit needs a running pod`);
  const phase = pod.status?.phase ?? 'unknown';
  const warning = pod.spec?.hostNetwork || ips.includes(pod.status?.hostIP ?? '')
    ? `${ref} uses its node's network (${ips.join(', ')} is the node's own address): the kit will capture all of that node's traffic to and from it`
    : phase !== 'Running'
      ? `${ref} is ${phase}, not Running: its address may belong to another pod by now`
      : undefined;
  return { ref, ips, node, ...(warning ? { warning } : {}) };
}

/** Ask kubectl (`$HOPSCOPE_KUBECTL`, else `kubectl` on the PATH) about one pod. */
export async function lookUpPod(ref: string, kubectl = process.env.HOPSCOPE_KUBECTL || 'kubectl', context?: string): Promise<PodLookup> {
  const slash = ref.indexOf('/');
  const [ns, name] = slash > 0 ? [ref.slice(0, slash), ref.slice(slash + 1)] : [null, ref];
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || (ns !== null && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns))) throw new KitOptionError(`${JSON.stringify(ref)} is neither an IP address nor a pod name ([namespace/]name)`);
  const args = ['get', 'pod', name, ...(ns ? ['-n', ns] : []), ...(context ? ['--context', context] : []), '-o', 'json'];
  return new Promise((resolve, reject) => {
    execFile(kubectl, args, { timeout: 30_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return reject(new KitOptionError(`--kubectl: ${kubectl} is not installed here; give the pods' addresses instead (--pod 10.244.1.2)`));
      if (err) return reject(new KitOptionError(`kubectl ${args.join(' ')}: ${stderr.trim() || err.message}`));
      try {
        resolve(podFromKubectlJson(ref, stdout));
      } catch (e) {
        reject(e);
      }
    });
  });
}

export async function kitCommand(args: string[]): Promise<number> {
  const opts: KitOptions = { pods: [] };
  let out = 'hopscope-kit.sh';
  let kubectl = false;
  let context: string | undefined;
  const refs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new KitOptionError(`${a} needs a value`);
      return v;
    };
    const count = () => {
      const v = value();
      if (!/^\d+$/.test(v)) throw new KitOptionError(`${a} takes a whole number, not ${JSON.stringify(v)}`);
      return Number(v);
    };
    if (a === '--pod') refs.push(value());
    else if (a === '--kubectl') kubectl = true;
    else if (a === '--context') context = value();
    else if (a === '--port') opts.port = count();
    else if (a === '--seconds') opts.seconds = count();
    else if (a === '--ring-mb') opts.ringMb = count();
    else if (a === '-o' || a === '--out') out = value();
    else throw new KitOptionError(`unknown option ${a}`);
  }
  const looked: PodLookup[] = [];
  for (const r of refs) {
    if (ADDRESS.test(r) || !kubectl) {
      if (!opts.pods.includes(r)) opts.pods.push(r);
    }
    else {
      const p = await lookUpPod(r, undefined, context);
      looked.push(p);
      opts.pods.push(...p.ips.filter((ip) => !opts.pods.includes(ip)));
    }
  }
  const script = kitScript(opts);
  if (out === '-') {
    process.stdout.write(script);
    return 0;
  }
  await writeFile(out, script);
  await chmod(out, 0o755);
  const found = looked.map((p) => `  ${p.ref}: ${p.ips.join(', ')} on node ${p.node}\n${p.warning ? `    warning: ${p.warning}\n` : ''}`).join('');
  // Pods given by address have nodes kubectl was not asked about: then no node list is printed.
  const nodes = looked.length === refs.length ? [...new Set(looked.map((p) => p.node))] : [];
  if (looked.length > 0 && nodes.length === 0) process.stderr.write('note: also run the kit on the nodes of the pods given by address\n');
  process.stdout.write(`wrote ${out}${found ? `\n\nkubectl found:\n${found}` : '\n'}\n${kitHowTo(out, nodes)}`);
  return 0;
}
