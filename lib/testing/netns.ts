/** For the real-kernel tests: why network namespaces and tcpdump cannot be used here, or null. */
import { spawnSync } from 'node:child_process';

export function whyNoNetns(tag: string): string | null {
  if (process.getuid?.() !== 0) return 'not root';
  const probe = `${tag}-probe`;
  const r = spawnSync('ip', ['netns', 'add', probe]);
  if (r.status !== 0) return `ip netns add fails: ${r.stderr.toString().trim()}`;
  spawnSync('ip', ['netns', 'delete', probe]);
  if (spawnSync('tcpdump', ['--version']).status !== 0) return 'no tcpdump';
  return null;
}
