/**
 * `hopscope kit --kubectl`: pods named, looked up with kubectl. The kubectl here is a stand-in
 * that checks the arguments it is given and answers with a `kubectl get pod -o json` document of
 * the shape the API server returns (testdata/kubectl-get-pod.json: a dual-stack pod).
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { kitCommand, lookUpPod, podFromKubectlJson } from './kit';

const FIXTURE = path.join(import.meta.dirname, 'testdata', 'kubectl-get-pod.json');
const dir = mkdtempSync(path.join(tmpdir(), 'hopscope-kubectl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A kubectl that answers only `get pod web-7d9f8c6b5-x2kqp -n shop -o json`. */
const fake = path.join(dir, 'kubectl');
writeFileSync(fake, `#!/bin/sh\n[ "$*" = "get pod web-7d9f8c6b5-x2kqp -n shop -o json" ] || { echo "Error from server (NotFound): pods \\"$3\\" not found" >&2; exit 1; }\ncat '${FIXTURE}'\n`);
chmodSync(fake, 0o755);

/** `hopscope kit ARGS` with the stand-in kubectl: what it printed (it must exit 0). */
async function runKit(args: string[]): Promise<string> {
  let printed = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    printed += String(s);
    return true;
  });
  process.env.HOPSCOPE_KUBECTL = fake;
  try {
    expect(await kitCommand(args)).toBe(0);
  } finally {
    delete process.env.HOPSCOPE_KUBECTL;
    write.mockRestore();
  }
  return printed;
}

describe('hopscope kit --kubectl', () => {
  it('reads both families of a dual-stack pod and its node', () => {
    expect(podFromKubectlJson('shop/web', readFileSync(FIXTURE, 'utf8'))).toEqual({ ref: 'shop/web', ips: ['10.244.2.4', 'fd00:10:244:2::4'], node: 'worker-2' });
  });

  it('refuses a pod with no address yet, saying its phase', () => {
    expect(() => podFromKubectlJson('shop/web', JSON.stringify({ status: { phase: 'Pending' }, spec: {} }))).toThrow(/pod shop\/web has no address yet \(phase Pending\)/);
  });

  it('passes kubectl its error, and says when kubectl is missing', async () => {
    await expect(lookUpPod('shop/nope', fake)).rejects.toThrow(/NotFound/);
    await expect(lookUpPod('shop/web', path.join(dir, 'no-kubectl'))).rejects.toThrow(/is not installed here; give the pods' addresses/);
    await expect(lookUpPod('shop/$(reboot)', fake)).rejects.toThrow(/neither an IP address nor a pod name/);
  });

  it('writes a kit for the looked-up addresses and names the nodes to run it on', async () => {
    const out = path.join(dir, 'kit.sh');
    const printed = await runKit(['--kubectl', '--pod', 'shop/web-7d9f8c6b5-x2kqp', '--pod', '10.244.1.2', '--port', '80', '-o', out]);
    expect(readFileSync(out, 'utf8')).toContain("PODS='10.244.2.4 fd00:10:244:2::4 10.244.1.2'");
    expect(printed).toContain('shop/web-7d9f8c6b5-x2kqp: 10.244.2.4, fd00:10:244:2::4 on node worker-2');
    // A pod given by address is on a node kubectl was not asked about: no node list that leaves it out.
    expect(printed).toContain('kubectl debug node/NODE -it');
    expect(printed).not.toContain('npx hopscope analyze worker-2-hopscope.tar.gz');
  });

  it('with every pod named, the commands name their nodes', async () => {
    const printed = await runKit(['--kubectl', '--pod', 'shop/web-7d9f8c6b5-x2kqp', '-o', path.join(dir, 'kit2.sh')]);
    expect(printed).toContain('kubectl debug node/worker-2 -it');
    expect(printed).toContain('npx hopscope analyze worker-2-hopscope.tar.gz');
  });

  it('warns about a pod on its node\'s network, and one that is not running', () => {
    const doc = JSON.parse(readFileSync(FIXTURE, 'utf8'));
    const host = { ...doc, spec: { ...doc.spec, hostNetwork: true }, status: { ...doc.status, podIP: '192.168.0.12', podIPs: [{ ip: '192.168.0.12' }] } };
    expect(podFromKubectlJson('kube-system/kube-proxy-x', JSON.stringify(host)).warning).toMatch(/uses its node's network/);
    const done = { ...doc, status: { ...doc.status, phase: 'Succeeded' } };
    expect(podFromKubectlJson('shop/job-1', JSON.stringify(done)).warning).toMatch(/is Succeeded, not Running/);
    expect(podFromKubectlJson('shop/web', JSON.stringify(doc)).warning).toBeUndefined();
  });
});
