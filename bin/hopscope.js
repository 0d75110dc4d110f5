#!/usr/bin/env node
// The CLI, compiled from lib/ by scripts/build-cli.mjs (at npm install and npm run build) so that it
// starts without a TypeScript compiler. A source changed since the build (dist/cli.json holds
// each one's size and time) is compiled again first; where that cannot be done (no esbuild, a
// read-only install), tsx runs lib/ directly, as before: slower to start, the same program.
import { readFileSync, statSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// V8's young generation stays at its first 1 MB semi-space instead of growing to 16 MB: the
// analysis keeps its packets in typed arrays and makes mostly short-lived objects beside them,
// so a larger one only held more garbage between collections. Measured on the bench: the
// incident's analysis added 1.16-1.20x its indexes in memory against 1.61-1.85x (peak RSS 201
// against 242 MiB, whole process) and ran in 0.97x the time; stats was unchanged. V8 reads the
// factor whenever it would grow the space, so setting it here, before any work, takes effect;
// `cli.test.ts` checks that it does.
setFlagsFromString('--semi-space-growth-factor=1');

const root = new URL('../', import.meta.url);

/** The current build's main module, when every source it was made from is unchanged; else null. */
function compiled() {
  try {
    const { dir, node, inputs } = JSON.parse(readFileSync(new URL('dist/cli.json', root), 'utf8'));
    if (node.split('.')[0] !== process.version.split('.')[0]) return null;
    for (const [file, size, mtimeMs] of inputs) {
      const st = statSync(new URL(file, root));
      if (st.size !== size || st.mtimeMs !== mtimeMs) return null;
    }
    const main = new URL(`dist/${dir}/main.js`, root);
    statSync(main);
    return main.href;
  } catch {
    return null;
  }
}

async function load() {
  if (process.env.HOPSCOPE_CLI_SOURCE !== '1') {
    let main = compiled();
    if (!main) {
      try {
        await (await import('../scripts/build-cli.mjs')).buildCli();
        main = compiled();
      } catch {
        // Not compiled: tsx below.
      }
    }
    if (main) return import(main);
  }
  const { register } = await import('tsx/esm/api');
  register();
  return import('../lib/cli/main.ts');
}

// `hopscope stats … | head`: the reader went away; stop quietly, as a Unix tool does.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const { main } = await load();
process.exitCode = await main(process.argv.slice(2));
