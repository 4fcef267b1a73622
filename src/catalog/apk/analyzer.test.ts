// apk installed databases from Syft's and Trivy's test data, checked against an awk reading of the P:/V:/A:/o:
// lines, plus file lists and problems for a corrupt database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { corpusPath, corpusSkip } from '../../../test/support/corpus.ts';
import { buildInventory } from '../index.ts';
import { analyzeFiles } from '../../../test/support/walk-root.ts';
import { createApkAnalyzer } from './analyzer.ts';

const FILES = [
  'conformance/syft/syft/pkg/cataloger/alpine/testdata/multiple-1/lib/apk/db/installed',
  'conformance/syft/syft/pkg/cataloger/alpine/testdata/multiple-2/lib/apk/db/installed',
  'conformance/syft/syft/pkg/cataloger/alpine/testdata/single',
  'conformance/syft/syft/pkg/cataloger/alpine/testdata/base',
  'conformance/syft/syft/pkg/cataloger/alpine/testdata/extra-file-attributes',
  'conformance/syft/syft/pkg/cataloger/alpine/testdata/empty-deps-and-provides',
  'conformance/trivy/pkg/fanal/analyzer/pkg/apk/testdata/apk',
];

/** name version arch origin nfiles per record, by awk. */
function awkList(file: string): string[] {
  const prog =
    'BEGIN{RS="";FS="\\n"} {p="";v="";a="";o="";n=0; for(i=1;i<=NF;i++){k=substr($i,1,2); x=substr($i,3); ' +
    'if(k=="P:"&&p=="")p=x; else if(k=="V:"&&v=="")v=x; else if(k=="A:"&&a=="")a=x; else ' +
    'if(k=="o:"&&o=="")o=x; else if(k=="R:")n++} if(p!=""&&v!="") print p" "v" "a" "(o==""?p:o)" "n}';
  return execFileSync('awk', [prog, file], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).sort();
}

for (const rel of FILES) {
  test(`apk ${rel.slice('conformance/'.length)} matches an awk reading`, { skip: corpusSkip(rel) }, async () => {
    const src = corpusPath(rel)!;
    const facts = await analyzeFiles([createApkAnalyzer()], [{ path: '/lib/apk/db/installed', source: src }]);
    const inv = buildInventory(
      [
        ...facts,
        {
          kind: 'os',
          path: '/etc/os-release',
          os: { id: 'alpine', versionId: '3.16.2', path: '/etc/os-release' },
          layer: 0,
        },
      ],
      { files: true },
    );
    const got = inv.packages
      .map((p) => {
        const m = p.metadata as Extract<typeof p.metadata, { kind: 'apk' }>;
        return `${p.name} ${p.version} ${m.arch} ${m.origin} ${p.files?.length ?? 0}`;
      })
      .sort();
    assert.deepEqual(got, awkList(src));
    for (const p of inv.packages) {
      assert.ok(p.purl.startsWith(`pkg:apk/alpine/${encodeURIComponent(p.name).replace(/%2B/g, '+')}@`), p.purl);
      assert.match(p.purl, /distro=alpine-3\.16\.2/);
      for (const f of p.files ?? []) assert.match(f, /^\/[^/]/);
    }
  });
}

test(
  'corrupt apk database: problems with the file and reason, good records kept',
  { skip: corpusSkip(`conformance/syft/syft/pkg/cataloger/alpine/testdata/corrupt/lib/apk/db/installed`) },
  async () => {
    const src = corpusPath('conformance/syft/syft/pkg/cataloger/alpine/testdata/corrupt/lib/apk/db/installed')!;
    const facts = await analyzeFiles([createApkAnalyzer()], [{ path: '/lib/apk/db/installed', source: src }]);
    const problems = facts.filter((f) => f.kind === 'problem');
    assert.ok(problems.length > 0);
    for (const p of problems) assert.match((p as { message: string }).message, /^\/lib\/apk\/db\/installed: /);
    assert.deepEqual(
      facts.flatMap((f) => (f.kind === 'packages' ? f.packages.map((p) => p.name) : [])),
      awkList(src).map((l) => l.split(' ')[0]),
    );
  },
);
