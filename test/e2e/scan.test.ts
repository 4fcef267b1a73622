// `zerocve scan` end to end: the real CLI on a real Debian image with a pip-installed layer, a real advisory
// database imported from the PyPI OSV data, and every flag's effect.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  mkdtempSync,
  rmSync,
  writeFileSync,
  readFileSync,
  existsSync,
  readdirSync,
  truncateSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fixtureImage, fixtureSkip } from '../support/images.ts';
import { corpusPath, corpusSkip } from '../support/corpus.ts';
import { zerocve, imageWithLayer, distInfo, maliciousPickle } from './support.ts';

const skip = fixtureSkip() || corpusSkip('vulndata/pypa-advisory-database/vulns');
const SITE = '/usr/local/lib/python3.11/dist-packages';
let work = '';
let db = '';
let target = '';

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'zc-e2e-scan-'));
  const fx = await fixtureImage('python3');
  // an AWS key pair in the shape AWS documents, randomised so no real key is ever in the repo
  const rnd = (n: number, chars: string) =>
    Array.from({ length: n }, () => chars[Math.floor(Math.random() * chars.length)]).join('');
  const awsId = `AKIA${rnd(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`;
  const awsSecret = rnd(40, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+');
  target = await imageWithLayer(fx.ociDir, join(work, 'img'), [
    ...distInfo(SITE, 'pillow', '8.4.0'),
    ...distInfo(SITE, 'torch', '1.12.1', ['typing-extensions', 'numpy>=1.20']),
    ...distInfo(SITE, 'typing_extensions', '4.4.0'),
    { path: '/models/classifier.pkl', body: maliciousPickle() },
    { path: '/app/.env', body: `AWS_ACCESS_KEY_ID=${awsId}\nAWS_SECRET_ACCESS_KEY=${awsSecret}\n` },
  ]);
  db = join(work, 'zerocve.db');
  const imp = await zerocve(['db', 'import', '--db', db, corpusPath('vulndata/pypa-advisory-database')!]);
  assert.equal(imp.code, 0, imp.stderr);
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

interface Report {
  findings: {
    id: string;
    aliases: string[];
    kind: string;
    severity: string;
    package: { name: string; version: string };
    fixedVersions: string[];
    evidence: { matchedRange: string; source: string }[];
  }[];
  suppressed: { finding: { id: string }; by: string; reason: string }[];
  summary: { passed: boolean; suppressed: number; findings: Record<string, number> };
  inventory: { packages: { name: string; type: string; ownedBy?: string }[] };
  surface: { shells: string[]; user: { root: boolean } };
}

async function scanJson(
  extra: string[] = [],
  env: Record<string, string> = {},
  cwd?: string,
): Promise<{ code: number; report: Report; stderr: string }> {
  const r = await zerocve(['scan', target, '--db', db, '--no-cache', '-f', 'json', ...extra], { env, cwd });
  assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
  return { code: r.code, report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
}

/** What Python's own `packaging` says affects a version, over the same OSV files (an independent check). */
function independentlyAffecting(pkg: string, version: string): string[] {
  const script = `
import sys, os, yaml
from packaging.version import Version
pkg, ver, root = sys.argv[1], Version(sys.argv[2]), sys.argv[3]
hits = []
for f in sorted(os.listdir(root)):
    doc = yaml.safe_load(open(os.path.join(root, f)))
    if doc.get('withdrawn'): continue
    for a in doc.get('affected', []):
        if a['package']['name'].lower() != pkg: continue
        hit = sys.argv[2] in [str(v) for v in a.get('versions', [])]
        for r in a.get('ranges', []):
            if r['type'] != 'ECOSYSTEM': continue
            lo = None
            for e in r['events']:
                if 'introduced' in e: lo = Version('0') if e['introduced'] == '0' else Version(e['introduced'])
                elif 'fixed' in e and lo is not None:
                    if lo <= ver < Version(e['fixed']): hit = True
                    lo = None
                elif 'last_affected' in e and lo is not None:
                    if lo <= ver <= Version(e['last_affected']): hit = True
                    lo = None
            if lo is not None and ver >= lo: hit = True
        if hit: hits.append(doc['id'])
print('\\n'.join(sorted(set(hits))))
`;
  return execFileSync(
    'python3',
    ['-c', script, pkg, version, corpusPath(`vulndata/pypa-advisory-database/vulns/${pkg}`)!],
    { encoding: 'utf8' },
  )
    .split('\n')
    .filter(Boolean);
}

const python = (() => {
  try {
    execFileSync('python3', ['-c', 'import yaml, packaging'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

test(
  'findings for pip packages equal what Python packaging computes over the same OSV ranges',
  { skip: skip || (!python && 'needs python3 with yaml and packaging'), timeout: 600_000 },
  async () => {
    const { report } = await scanJson();
    for (const [name, version] of [
      ['pillow', '8.4.0'],
      ['torch', '1.12.1'],
    ]) {
      const ours = report.findings.filter((f) => f.package.name === name && f.kind === 'vulnerability');
      const ids = new Set(ours.flatMap((f) => [f.id, ...f.aliases]));
      const expected = independentlyAffecting(name, version);
      assert.ok(expected.length > 0, `the corpus has advisories for ${name} ${version}`);
      for (const id of expected) assert.ok(ids.has(id), `${name} ${version}: ${id} expected (packaging says affected)`);
      // no more: every finding is backed by one of the expected advisories
      for (const f of ours)
        assert.ok(
          [f.id, ...f.aliases].some((i) => expected.includes(i)),
          `${name}: unexpected finding ${f.id}`,
        );
      for (const f of ours)
        assert.ok(f.evidence[0].matchedRange && f.evidence[0].source, 'every finding explains itself');
    }
    // Debian's own python packages are owned by dpkg: matched as OS packages, never against PyPI
    assert.ok(!report.findings.some((f) => f.package.name === 'python3' && f.kind === 'vulnerability'));
  },
);

test('unsafe pickle and a secret are findings; surface shows shells and root', { skip, timeout: 600_000 }, async () => {
  const { report } = await scanJson();
  const model = report.findings.find((f) => f.kind === 'model');
  assert.ok(model, 'malicious pickle flagged');
  assert.equal(model.severity, 'critical');
  assert.match(model.evidence[0].matchedRange, /posix\.system/);
  const secret = report.findings.find((f) => f.kind === 'secret');
  assert.ok(secret, 'AWS key found');
  assert.ok(!JSON.stringify(report).includes('AWS_SECRET_ACCESS_KEY=A'), 'secret values never appear in the report');
  assert.ok(report.surface.shells.includes('bash'));
  assert.equal(report.surface.user.root, true);
});

test(
  '--fail-on sets exit 1 only at or above the threshold; --severity hides and counts',
  { skip, timeout: 600_000 },
  async () => {
    const pass = await zerocve(['scan', target, '--db', db, '-q', '-f', 'json']);
    assert.equal(pass.code, 0, 'no threshold: passes');
    const fail = await zerocve(['scan', target, '--db', db, '-q', '--fail-on', 'high', '-f', 'json']);
    assert.equal(fail.code, 1);
    const onlyCrit = (await scanJson(['--severity', 'critical'])).report;
    assert.ok(onlyCrit.findings.every((f) => f.severity === 'critical'));
    assert.ok(onlyCrit.suppressed.some((s) => s.by === 'severity-filter'));
    assert.equal(onlyCrit.summary.suppressed, onlyCrit.suppressed.length);
  },
);

test(
  '--ignore-unfixed, an ignore file with reasons, --vex and --show-suppressed',
  { skip, timeout: 600_000 },
  async () => {
    const all = (await scanJson()).report;
    const pillow = all.findings.filter((f) => f.package.name === 'pillow');
    const victim = pillow[0];
    const ignore = join(work, 'ignore.yaml');
    writeFileSync(
      ignore,
      `rules:\n  - id: ${victim.id}\n    package: pillow\n    reason: not reachable from our service\n` +
        `  - id: CVE-1999-0001\n    reason: stale\n    expires: 2000-01-01\n`,
    );
    const ig = await scanJson(['--ignore-file', ignore]);
    assert.ok(
      ig.report.suppressed.some(
        (s) => s.finding.id === victim.id && s.by === 'ignore-file' && /not reachable/.test(s.reason),
      ),
    );
    assert.match(ig.stderr, /expired on 2000-01-01/);
    const other = pillow[1];
    const vex = join(work, 'vex.json');
    writeFileSync(
      vex,
      JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        '@id': 'x',
        author: 't',
        timestamp: '2025-01-01T00:00:00Z',
        version: 1,
        statements: [
          {
            vulnerability: { name: other.id },
            products: [{ '@id': 'pkg:pypi/Pillow@8.4.0?arch=amd64' }],
            status: 'not_affected',
            justification: 'vulnerable_code_not_in_execute_path',
          },
        ],
      }),
    );
    const vx = await scanJson(['--vex', vex]);
    assert.ok(
      vx.report.suppressed.some((s) => s.finding.id === other.id && s.by === 'vex'),
      'VEX purl with other case and extra qualifier still matches',
    );
    const unfixed = await scanJson(['--ignore-unfixed']);
    assert.ok(
      unfixed.report.findings.filter((f) => f.kind === 'vulnerability').every((f) => f.fixedVersions.length > 0),
    );
    const table = await zerocve(['scan', target, '--db', db, '--ignore-file', ignore, '--show-suppressed', '-q']);
    assert.match(table.stdout, /Suppressed \(\d+\)/);
    assert.match(table.stdout, /not reachable from our service/);
    const hidden = await zerocve(['scan', target, '--db', db, '--ignore-file', ignore, '-q']);
    assert.doesNotMatch(hidden.stdout, /not reachable from our service/);
    assert.match(hidden.stdout, /suppressed 1/, 'the count stays in the summary');
  },
);

test('several outputs, config file and environment variables, --quiet', { skip, timeout: 600_000 }, async () => {
  const out = join(work, 'out');
  execFileSync('mkdir', ['-p', out]);
  const r = await zerocve([
    'scan',
    target,
    '--db',
    db,
    '-o',
    'table',
    '-o',
    `json=${join(out, 'r.json')}`,
    '-o',
    `sarif=${join(out, 'r.sarif')}`,
    '-o',
    `cyclonedx-json=${join(out, 'r.cdx.json')}`,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Findings/);
  assert.equal(JSON.parse(readFileSync(join(out, 'r.sarif'), 'utf8')).version, '2.1.0');
  assert.equal(JSON.parse(readFileSync(join(out, 'r.cdx.json'), 'utf8')).specVersion, '1.6');
  assert.ok(JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')).findings.length > 0);
  assert.deepEqual(readdirSync(out).sort(), ['r.cdx.json', 'r.json', 'r.sarif'], 'no temp files left behind');
  const env = await zerocve(['scan', target, '--db', db, '-f', 'json', '-q'], { env: { ZEROCVE_FAIL_ON: 'medium' } });
  assert.equal(env.code, 1, 'ZEROCVE_FAIL_ON acts as --fail-on');
  assert.equal(env.stderr, '', '--quiet: nothing on stderr');
  const cfgDir = join(work, 'cfg');
  execFileSync('mkdir', ['-p', cfgDir]);
  writeFileSync(join(cfgDir, 'zerocve.yaml'), `fail-on: critical\ndb: ${db}\nseverity: [critical]\n`);
  const cfg = await zerocve(['scan', target, '-f', 'json', '-q'], { cwd: cfgDir });
  assert.equal(cfg.code, 1, 'zerocve.yaml fail-on applies (the pickle is critical)');
  assert.ok((JSON.parse(cfg.stdout) as Report).findings.every((f) => f.severity === 'critical'));
  const flagWins = await zerocve(['scan', target, '-f', 'json', '-q', '--fail-on', 'critical', '--severity', 'low'], {
    cwd: cfgDir,
  });
  assert.equal(flagWins.code, 0, 'a flag beats the config file');
});

test('bad input and usage: clear one-line errors and exit codes', { skip, timeout: 600_000 }, async () => {
  const offline = await zerocve(['scan', 'registry:docker.io/library/python:3.12', '--offline', '--db', db]);
  assert.equal(offline.code, 2);
  assert.match(offline.stderr, /offline/);
  const badFlag = await zerocve(['scan', target, '--fail-on', 'severe']);
  assert.equal(badFlag.code, 2);
  assert.match(badFlag.stderr, /unknown severity 'severe'/);
  const noDb = await zerocve(['scan', target, '--db', join(work, 'none.db')]);
  assert.equal(noDb.code, 3);
  assert.match(noDb.stderr, /zerocve db update/);
  // a truncated layer blob: exit 3, one line naming the image and the layer, no partial output file
  const broken = join(work, 'broken');
  execFileSync('cp', ['-r', target.slice('oci-dir:'.length, -':latest'.length), broken]);
  const blobs = join(broken, 'blobs/sha256');
  const biggest = readdirSync(blobs)
    .map((b) => join(blobs, b))
    .sort((a, b) => statSync(b).size - statSync(a).size)[0];
  truncateSync(biggest, Math.floor(statSync(biggest).size / 2));
  const outFile = join(work, 'partial.json');
  const bad = await zerocve([
    'scan',
    `oci-dir:${broken}:latest`,
    '--db',
    db,
    '--no-cache',
    '-f',
    'json',
    '--output',
    outFile,
  ]);
  assert.equal(bad.code, 3);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  assert.match(bad.stderr, /sha256:[0-9a-f]{6}/);
  assert.equal(existsSync(outFile), false, 'nothing half-written');
});

test(
  'a database older than 3 days makes the scan warn; a stale one is still used',
  { skip, timeout: 600_000 },
  async () => {
    const old = join(work, 'old.db');
    execFileSync('cp', [db, old]);
    const { DatabaseSync } = await import('node:sqlite');
    const h = new DatabaseSync(old);
    h.prepare(`UPDATE meta SET value = ? WHERE key = 'built_at'`).run(
      new Date(Date.now() - 5 * 24 * 3600e3).toISOString(),
    );
    h.close();
    const r = await zerocve(['scan', target, '--db', old, '-f', 'json', '--scanners', 'vuln']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /vulnerability database is 5 days old .*zerocve db update/);
    assert.ok((JSON.parse(r.stdout) as Report).findings.length > 0);
    const fresh = await zerocve(['scan', target, '--db', db, '-f', 'json', '--scanners', 'vuln']);
    assert.doesNotMatch(fresh.stderr, /days old/);
  },
);
