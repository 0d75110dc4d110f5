/** What the lab's clients reported: ping's summary line, or the JSON line of labnet.py's clients. */
import type { ClientResult } from '../../lib/lab/scenario';

export function pingResult(stdout: string, stderr: string): ClientResult {
  const m = /(\d+) packets transmitted, (\d+) received(?:, \+(\d+) errors)?/.exec(stdout);
  const tx = Number(m?.[1] ?? 0);
  const rx = Number(m?.[2] ?? 0);
  const errs = Number(m?.[3] ?? 0);
  const errLine = /^From .*$/m.exec(stdout)?.[0] ?? /local error: .*/.exec(stdout + stderr)?.[0];
  const detail = `${tx} transmitted, ${rx} received${errs ? `, ${errs} errors` : ''}${errLine ? `; ${errLine.replace(/icmp_seq=\d+ /, '')}` : ''}`;
  const outcome = rx === tx && tx > 0 ? 'response' : rx > 0 ? 'partial' : errs > 0 ? 'icmp-error' : 'timeout';
  return { outcome, detail };
}

export function jsonResult(stdout: string): ClientResult {
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    const j = JSON.parse(line) as { outcome: string; bytes?: number; error?: string };
    const detail = j.bytes !== undefined ? `${j.bytes} bytes received` : j.error;
    return detail ? { outcome: j.outcome, detail } : { outcome: j.outcome };
  } catch {
    return { outcome: 'error', detail: `client printed: ${line.slice(0, 200)}` };
  }
}

