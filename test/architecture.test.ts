// Fails when an import goes the wrong way between stages (see README "Architecture").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g;
const root = resolve(import.meta.dirname, '..');
const src = join(root, 'src');

/** stage → stages it may import (itself always allowed) */
const allowed: Record<string, string[]> = {
  core: [],
  version: ['core'],
  walk: ['core'],
  elf: ['core'],
  image: ['core', 'walk'],
  catalog: ['core', 'version', 'elf'],
  surface: ['core', 'catalog', 'version', 'elf'],
  vulndb: ['core', 'version'],
  match: ['core', 'version'],
  policy: ['core', 'version'],
  report: ['core', 'version'],
  sbom: ['core', 'version'],
  runtime: ['core', 'walk'],
  peers: ['core', 'version'],
  app: [
    'runtime',
    'core',
    'version',
    'walk',
    'image',
    'catalog',
    'surface',
    'vulndb',
    'match',
    'policy',
    'report',
    'sbom',
    'peers',
  ],
  store: ['core'],
  serve: ['core', 'app', 'store', 'report', 'policy', 'image', 'version', 'ui'],
  ui: ['core', 'store', 'report'],
  cli: ['core', 'app', 'report', 'image', 'vulndb', 'policy', 'version', 'sbom', 'peers', 'runtime', 'store', 'serve'],
};

function* sourceFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* sourceFiles(p);
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) yield p;
  }
}

test('every src import goes in an allowed direction', () => {
  const bad: string[] = [];
  for (const file of sourceFiles(src)) {
    const stage = relative(src, file).split('/')[0];
    assert.ok(stage in allowed, `unknown stage folder src/${stage} (add it to the architecture test)`);
    const text = readFileSync(file, 'utf8');
    for (const spec of relativeImports(text)) {
      const target = relative(src, resolve(dirname(file), spec));
      if (target.startsWith('..')) {
        bad.push(`${relative(root, file)} imports outside src: ${spec}`);
        continue;
      }
      const to = target.split('/')[0];
      if (to !== stage && !allowed[stage].includes(to))
        bad.push(`${relative(root, file)} (${stage}) imports ${spec} (${to})`);
    }
  }
  assert.deepEqual(bad, []);
});

/**
 * Stages whose files are each a door. `core` is the data model every stage shares: small modules of types, errors
 * and tables with nothing inner to hide; one index re-exporting all of them would be the barrel we do not want.
 */
const OPEN_STAGES = new Set(['core']);

test('a stage is entered from another stage only through its index.ts', () => {
  const bad: string[] = [];
  for (const file of sourceFiles(src)) {
    const stage = relative(src, file).split('/')[0];
    for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
      const target = relative(src, resolve(dirname(file), spec));
      const to = target.split('/')[0];
      if (to === stage || target.startsWith('..') || OPEN_STAGES.has(to)) continue;
      if (target !== `${to}/index.ts`)
        bad.push(`${relative(root, file)} (${stage}) imports ${spec}: use src/${to}/index.ts`);
    }
  }
  assert.deepEqual(bad, []);
});

test(
  'every stage others may import has an index.ts (core ' + 'aside), and doors name what they export (no export *)',
  () => {
    const bad: string[] = [];
    const imported = new Set(Object.values(allowed).flat());
    for (const stage of imported) {
      if (OPEN_STAGES.has(stage)) continue;
      if (!existsSync(join(src, stage, 'index.ts'))) bad.push(`src/${stage}/index.ts is missing`);
    }
    for (const file of sourceFiles(src)) {
      if (/^\s*export\s+(type\s+)?\*/m.test(readFileSync(file, 'utf8')))
        bad.push(`${relative(root, file)} uses export *`);
    }
    assert.deepEqual(bad, []);
  },
);

test('the door check sees every import form', () => {
  const text = [
    "import { a } from '../walk/extract.ts';",
    "import type { B } from '../core/image.ts';",
    'export { c } from "./c.ts";',
    "import {\n  d,\n  e,\n} from '../image/write/index.ts';",
    "const x = 'from ../nothing.ts';",
  ].join('\n');
  assert.deepEqual(relativeImports(text), [
    '../walk/extract.ts',
    '../core/image.ts',
    './c.ts',
    '../image/write/index.ts',
  ]);
});

function relativeImports(text: string): string[] {
  return [...text.matchAll(IMPORT_RE)].map((m) => m[1]).filter((spec) => spec.startsWith('.'));
}

test('library code never prints or exits', () => {
  const bad: string[] = [];
  for (const file of sourceFiles(src)) {
    const stage = relative(src, file).split('/')[0];
    if (stage === 'cli') continue;
    const text = readFileSync(file, 'utf8');
    if (/\bprocess\.exit\(|\bconsole\.(log|error|warn)\(/.test(text)) bad.push(relative(root, file));
  }
  assert.deepEqual(bad, []);
});
