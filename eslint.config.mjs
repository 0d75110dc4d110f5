// ESLint for Hopscope: its job is the layer rule (STYLE.md, "Layers that hold"). An import that
// points up the stack below fails `npm run lint`, and so CI. Keep other rules to the few the tree
// already passes.
import path from 'node:path';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const ROOT = import.meta.dirname;
const TS_FILES = ['**/*.ts', '**/*.tsx'];
// Test helpers beside the tests they serve (anatomy/test-util.ts) are test code too.
const TEST_FILES = ['**/*.test.ts', '**/*.test.tsx', '**/test-util.ts'];

// Bottom to top. A folder may import itself and any folder on a lower line, never a higher one.
// Folders on one line may import each other unless a zone below says otherwise.
const LAYERS = [
  ['lib/util'],
  ['lib/protocols'],
  ['lib/capture'],
  ['lib/decode'],
  ['lib/correlate', 'lib/anatomy', 'lib/nodestate'],
  ['lib/verdict'],
  ['lib/analyze', 'lib/report'],
  ['lib/viz'],
  ['lib/learn'],
  ['lib/incident', 'lib/bench', 'lib/worker', 'lib/kit'],
  ['lib/cli', 'lib/testing'],
  ['components'],
  ['app'],
];

// The lab's ground truth judges the analysis, so it may not lean on the code it judges. It sits
// just above lib/decode: the lines below it may not import it either.
const LAB = 'lib/lab';
const LAB_MAY_IMPORT = ['lib/util', 'lib/protocols', 'lib/capture', 'lib/decode'];

const layerOf = new Map(LAYERS.flatMap((dirs, i) => dirs.map((dir) => [dir, i + 1])));
const name = (dir) => (layerOf.has(dir) ? `${dir} (layer ${layerOf.get(dir)})` : dir);
const zone = (target, from, why) => ({
  target,
  from,
  message: `${name(target)} may not import ${name(from)}: ${why}. The layers are in eslint.config.mjs.`,
});

const zones = [];
LAYERS.forEach((dirs, i) => {
  for (const target of dirs) {
    for (const from of LAYERS.slice(i + 1).flat()) zones.push(zone(target, from, 'imports must point down the layers'));
  }
});
zones.push(zone('lib/correlate', 'lib/anatomy', 'siblings stay independent'));
zones.push(zone('lib/anatomy', 'lib/correlate', 'siblings stay independent'));
zones.push(zone('lib/testing', 'lib/cli', 'test helpers do not depend on the CLI'));
zones.push(zone('components', 'lib/cli', 'the UI does not depend on the CLI'));
for (const from of [...layerOf.keys()].filter((dir) => !LAB_MAY_IMPORT.includes(dir))) {
  zones.push(zone(LAB, from, `the lab's ground truth may import only ${LAB_MAY_IMPORT.join(', ')}`));
}
for (const target of LAB_MAY_IMPORT) zones.push(zone(target, LAB, 'lib/lab sits above lib/decode'));

const KNOWN_LIB_DIRS = [...layerOf.keys(), LAB].filter((dir) => dir.startsWith('lib/'));

// import-x/no-restricted-paths, plus two things it does not do: type-position imports
// (`type T = import('../worker/protocol').T`) and lib/ files in no known layer, so a new folder
// gets a place in LAYERS instead of escaping the rule.
const base = importX.rules['no-restricted-paths'];
const layersRule = {
  meta: { ...base.meta, messages: { ...base.meta.messages, noLayer: '{{dir}} is in no layer: add it to LAYERS in eslint.config.mjs.' } },
  create(context) {
    const rel = path.relative(ROOT, context.physicalFilename).split(path.sep).join('/');
    if (rel.startsWith('lib/') && !KNOWN_LIB_DIRS.some((dir) => rel.startsWith(`${dir}/`))) {
      const dir = rel.split('/').slice(0, 2).join('/');
      context.report({ loc: { line: 1, column: 0 }, messageId: 'noLayer', data: { dir } });
    }
    const visitors = base.create(context);
    return {
      ...visitors,
      TSImportType(node) {
        if (node.source?.type === 'Literal') visitors.ImportDeclaration({ type: 'ImportDeclaration', source: node.source });
      },
    };
  },
};

export default defineConfig(
  {
    ignores: [
      '.next/**', '.next-*/**', 'out/**', 'dist/**', 'bench-data/**', 'data/**', 'test-results/**',
      'playwright-report/**', 'public/samples/**', 'sample-captures/**', 'tmp/**', 'next-env.d.ts',
    ],
  },
  {
    files: TS_FILES,
    languageOptions: { parser: tseslint.parser },
  },
  {
    // rules-of-hooks passes today. exhaustive-deps does not (AnatomyPanel.tsx), so it stays off;
    // the plugin is loaded anyway so PacketList's `eslint-disable-line react-hooks/exhaustive-deps`
    // names a known rule, and directives for rules that are off are not reported.
    files: ['components/**/*.tsx', 'app/**/*.tsx'],
    plugins: { 'react-hooks': reactHooks },
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    rules: { 'react-hooks/rules-of-hooks': 'error' },
  },
  {
    files: ['lib/**/*.{ts,tsx}', 'components/**/*.{ts,tsx}', 'app/**/*.{ts,tsx}'],
    ignores: TEST_FILES,
    plugins: { hopscope: { rules: { layers: layersRule } } },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: path.join(ROOT, 'tsconfig.json') })],
    },
    rules: {
      'hopscope/layers': ['error', { basePath: ROOT, zones }],
    },
  },
);
