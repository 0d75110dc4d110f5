/**
 * The compiled CLI (scripts/build-cli.mjs → dist/cli/, run by bin/hopscope.js): the same program
 * as lib/ run by tsx, and never older than lib/.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'hopscope.js');
const CURRENT = join(ROOT, 'dist', 'cli.json');
const SAMPLE = join(ROOT, 'sample-captures', 'vxlan-forward-drop');

interface Current {
  dir: string;
  node: string;
  inputs: [string, number, number][];
}
const current = (): Current => JSON.parse(readFileSync(CURRENT, 'utf8')) as Current;

function hopscope(args: string[], source: boolean) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, HOPSCOPE_CLI_SOURCE: source ? '1' : '' } });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe('the compiled CLI', () => {
  it('prints what lib/ run by tsx prints', () => {
    for (const args of [['analyze', '--json', SAMPLE], ['stats', '--json', join(SAMPLE, 'all-interfaces.pcapng')], ['--help']]) {
      const compiled = hopscope(args, false);
      expect(compiled.length).toBeGreaterThan(100);
      expect(compiled).toBe(hopscope(args, true));
    }
    // And it was the compiled one that ran: the build is there and up to date.
    const { dir, inputs } = current();
    expect(statSync(join(ROOT, 'dist', dir, 'main.js')).isFile()).toBe(true);
    expect(inputs.map(([f]) => f)).toContain('lib/cli/main.ts');
    expect(inputs.length).toBeGreaterThan(50);
  });

  it('is compiled again, before it runs, when a source changed since the build', () => {
    hopscope(['--help'], false);
    const before = current();
    // As after an edit: the build remembers lib/correlate/sightings.ts other than it is now.
    const edited = { ...before, inputs: before.inputs.map(([f, size, t]): [string, number, number] => (f === 'lib/correlate/sightings.ts' ? [f, size + 1, t] : [f, size, t])) };
    expect(edited.inputs).not.toEqual(before.inputs);
    writeFileSync(CURRENT + '.test.tmp', JSON.stringify(edited));
    renameSync(CURRENT + '.test.tmp', CURRENT);
    expect(hopscope(['--help'], false)).toMatch(/^usage: hopscope/);
    const after = current();
    expect(after.dir).not.toBe(before.dir);
    for (const [file, size, mtimeMs] of after.inputs) {
      const st = statSync(join(ROOT, file));
      expect([file, size, mtimeMs]).toEqual([file, st.size, st.mtimeMs]);
    }
  });
});
