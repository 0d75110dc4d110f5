import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { treeBytes } from './browser';

describe('treeBytes', () => {
  it('sums the resident memory of a process and its descendants', async () => {
    const alone = treeBytes(process.pid);
    expect(alone).toBeGreaterThan(process.memoryUsage().rss * 0.5);
    // A child holding 64 MiB it has touched: the tree grows by at least that much.
    const child = spawn(process.execPath, ['-e', 'const b = Buffer.alloc(64 * 1024 * 1024, 1); console.log("ready"); setTimeout(() => b, 30000)'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise((resolve) => child.stdout!.once('data', resolve));
      expect(treeBytes(child.pid!)).toBeGreaterThan(64 * 1024 * 1024);
      expect(treeBytes(process.pid)).toBeGreaterThan(alone + 64 * 1024 * 1024);
    } finally {
      child.kill();
    }
  });

  it('is 0 for a process that does not exist', () => {
    expect(treeBytes(2 ** 22 + 12345)).toBe(0);
  });
});
