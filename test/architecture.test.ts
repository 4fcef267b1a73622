// Fails when an import goes the wrong way between stages (see README "Architecture").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

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
  serve: ['core', 'app', 'store', 'report', 'policy', 'ui'],
  ui: ['core', 'store', 'report'],
  cli: ['core', 'app', 'report', 'image', 'vulndb', 'policy', 'version', 'sbom', 'peers', 'store', 'serve'],
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
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)) {
      const spec = m[1];
      if (!spec.startsWith('.')) continue;
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
