#!/usr/bin/env node
// Serve the lab's sample incidents from the app: copy each scenario's one-file pcapng (and its
// nodes' interface lists, <node>-links.txt) into public/samples/ and write the manifest the page reads. Runs before `next dev` and `next build`
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
  // A node's interface list names the interfaces of its tcpdump -i any: the page loads it beside.
  const companions = readdirSync(join(from, name)).filter((f) => /^[\w.-]+-links\.txt$/.test(f)).sort();
  if (companions.length > 0) mkdirSync(join(to, name));
  for (const f of companions) copyFileSync(join(from, name, f), join(to, name, f));
  manifest.push({ file: `${name}.pcapng`, title: scenario.title ?? name, ...(companions.length > 0 ? { companions: companions.map((f) => `${name}/${f}`) } : {}) });
}
writeFileSync(join(to, 'index.json'), JSON.stringify(manifest, null, 2) + '\n');
console.log(`samples: ${manifest.length} sample incidents in public/samples/`);
