#!/usr/bin/env node
/**
 * Compiles the CLI (lib/cli/main.ts and the lib/ it imports) to JavaScript, so that `hopscope`
 * starts without a TypeScript compiler. lib/ stays the one source: this runs at `npm install`
 * (postinstall) and `npm run build`, and bin/hopscope.js runs it again when a source file changed
 * since (dist/cli.json lists each one's size and modification time).
 *
 * Each build goes to a folder of its own, dist/cli-<build>/: main.js, the worker that reads
 * captures (read-worker.js), and the chunks the commands load when they run (`--help` reads only
 * what it needs). dist/cli.json names the folder;
 * it is written under a temporary name and renamed into place, so a CLI starting while another
 * rebuilds runs the old build or the new one, never half of one. A build replaced over an hour ago goes; the one just replaced always stays.
 *
 * Every file of a build sits two folders deep, as lib/<module>/*.ts do: lib's paths relative to
 * its own module (`../../sample-captures`, `../../bench-data`, `../../bin`) lead to the same place
 * from a chunk.
 *
 *   node scripts/build-cli.mjs [--quiet]
 */
import { readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const OUT_DIR = path.join(ROOT, 'dist');
export const CURRENT = path.join(OUT_DIR, 'cli.json');
/** A build older than this, not the current one, is removed (a CLI still running it loads no more chunks by then). */
const KEEP_MS = 3600_000;

/** Files that decide how the sources are built. */
const BUILD_FILES = ['scripts/build-cli.mjs', 'package.json', 'tsconfig.json'];

/** The folder dist/cli.json names now, or null. */
function currentDir() {
  try {
    return JSON.parse(readFileSync(CURRENT, 'utf8')).dir ?? null;
  } catch {
    return null;
  }
}

/** Builds the CLI; returns the number of files it was made from. */
export async function buildCli() {
  const { build } = await import('esbuild');
  const started = Date.now();
  const name = `cli-${started.toString(36)}-${process.pid}`;
  const dir = path.join(OUT_DIR, name);
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ['lib/cli/main.ts', 'lib/analyze/read-worker.ts'],
    entryNames: '[name]',
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // npm packages are loaded from node_modules as they are; only our own code is compiled.
    packages: 'external',
    metafile: true,
    outdir: dir,
    logLevel: 'silent',
    legalComments: 'none',
    banner: { js: '// Built by scripts/build-cli.mjs from lib/ (TypeScript): edit lib/, not this file.' },
  });
  for (const out of Object.keys(result.metafile.outputs)) {
    if (path.relative(ROOT, path.dirname(path.resolve(ROOT, out))).split(path.sep).length !== 2) throw new Error(`${out} is not two folders deep: lib's paths relative to its modules would lead elsewhere`);
  }
  const finished = Date.now();
  // The sources, and what decides how they are built: a change to any of them builds again.
  const inputs = [...new Set([...Object.keys(result.metafile.inputs), ...BUILD_FILES])]
    .sort()
    .map((rel) => {
      const st = statSync(path.join(ROOT, rel));
      // Changed while esbuild read it: which version the build holds is unknown, so the next start
      // rebuilds. (A time in the future, from a skewed clock, is only a stamp like any other.)
      return [rel, st.size, st.mtimeMs >= started - 1 && st.mtimeMs <= finished ? -1 : st.mtimeMs];
    });
  const previous = currentDir();
  const tmp = `${CURRENT}.${name}.tmp`;
  writeFileSync(tmp, JSON.stringify({ dir: name, node: process.version, inputs }));
  renameSync(tmp, CURRENT);
  // The build this one replaces may still be running somewhere: its hour starts now.
  if (previous && previous !== name) {
    try {
      utimesSync(path.join(OUT_DIR, previous), new Date(), new Date());
    } catch {
      // Already gone.
    }
  }
  for (const old of readdirSync(OUT_DIR)) {
    const p = path.join(OUT_DIR, old);
    if (old === name || old === previous || !old.startsWith('cli-')) continue;
    try {
      if (Date.now() - statSync(p).mtimeMs > KEEP_MS) rmSync(p, { recursive: true, force: true });
    } catch {
      // Another build removed it first.
    }
  }
  return inputs.length;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const quiet = process.argv.includes('--quiet');
  const t0 = performance.now();
  try {
    const n = await buildCli();
    if (!quiet) console.log(`hopscope CLI: ${path.relative(process.cwd(), OUT_DIR)} from ${n} source files in ${Math.round(performance.now() - t0)} ms`);
  } catch (e) {
    console.error(`hopscope CLI build failed: ${e instanceof Error ? e.message : e}`);
    process.exitCode = 1;
  }
}
