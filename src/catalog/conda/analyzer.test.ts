// conda-meta records from Trivy's integration fixtures, checked against the JSON as Python's json module reads it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { corpusPath, corpusSkip } from '../../../test/support/corpus.ts';
import { buildInventory } from '../index.ts';
import { analyzeTree } from '../../../test/support/walk-root.ts';
import { createCondaAnalyzer } from './analyzer.ts';

const ENV = 'conformance/trivy/integration/testdata/fixtures/repo/conda/miniconda3/envs/testenv';

test('conda-meta: name, version, build, channel, subdir and files', { skip: corpusSkip(ENV) }, async () => {
  const env = corpusPath(ENV)!;
  const inv = buildInventory(await analyzeTree([createCondaAnalyzer()], env, { prefix: '/opt/conda/envs/testenv' }), {
    files: true,
  });
  const py = execFileSync(
    'python3',
    [
      '-c',
      'import json,glob,sys\nfor f in sorted(glob.glob(sys.argv[1]+"/conda-meta/*.json")):\n' +
        '  d=json.load(open(f)); print(d["name"], d["version"], d["build"], d.get("subdir",""), ' +
        'len(d.get("files",[])))',
      env,
    ],
    { encoding: 'utf8' },
  );
  assert.deepEqual(
    inv.packages
      .map((p) => {
        const m = p.metadata as Extract<typeof p.metadata, { kind: 'conda' }>;
        return `${p.name} ${p.version} ${m.build} ${m.subdir ?? ''} ${p.files?.length ?? 0}`;
      })
      .sort(),
    py.trim().split('\n').sort(),
  );
  for (const p of inv.packages) {
    const m = p.metadata as Extract<typeof p.metadata, { kind: 'conda' }>;
    assert.equal(m.condaPrefix, '/opt/conda/envs/testenv');
    assert.ok(p.purl.startsWith(`pkg:conda/${p.name}@${p.version}?build=${m.build}`), p.purl);
    assert.ok(m.channel && !m.channel.includes('://'), `channel normalized: ${m.channel}`);
  }
});
