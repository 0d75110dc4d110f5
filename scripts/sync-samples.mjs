#!/usr/bin/env node
// Serve the lab's sample incidents from the app: copy each scenario's one-file pcapng into
// public/samples/ and write the manifest the page reads. Runs before `next dev` and `next build`
// (predev/prebuild), so sample-captures/ stays the single source.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const from = join(root, 'sample-captures');
const to = join(root, 'public', 'samples');
rmSync(to, { recursive: true, force: true });
mkdirSync(to, { recursive: true });

// The demo opens the first entry: a broken cluster is what people come with.
const FIRST = ['vxlan-forward-drop', 'vxlan-healthy'];
const names = existsSync(from) ? readdirSync(from).filter((d) => existsSync(join(from, d, 'scenario.json'))) : [];
names.sort((a, b) => (FIRST.indexOf(a) + 1 || 99) - (FIRST.indexOf(b) + 1 || 99) || a.localeCompare(b));
const manifest = [];
for (const name of names) {
  const pcapng = join(from, name, 'all-interfaces.pcapng');
  if (!existsSync(pcapng)) continue;
  const scenario = JSON.parse(readFileSync(join(from, name, 'scenario.json'), 'utf8'));
  copyFileSync(pcapng, join(to, `${name}.pcapng`));
  manifest.push({ file: `${name}.pcapng`, title: scenario.title ?? name });
}
writeFileSync(join(to, 'index.json'), JSON.stringify(manifest, null, 2) + '\n');
console.log(`samples: ${manifest.length} sample incidents in public/samples/`);
