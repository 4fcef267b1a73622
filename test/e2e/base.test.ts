// Base image or application, end to end with the real CLI: a base image built on the python3 fixture (a pip layer
// with an old Pillow), an app image built on that base (a pip layer with an old torch, an unsafe pickle, and a
// rewritten /var/lib/dpkg/status with one more package), and an image that is not built on the base. The expected
// findings come from the PyPI OSV files themselves (the advisories whose `versions` list names the installed
// version), independently of zerocve's range evaluation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { fixtureImage, fixtureSkip } from '../support/images.ts';
import { corpusPath, corpusSkip } from '../support/corpus.ts';
import { startRegistry, pushOciLayout, type RunningRegistry } from '../support/registry.ts';
import { zerocve, imageWithLayer, distInfo, maliciousPickle } from './support.ts';

const PYPA = 'vulndata/pypa-advisory-database/vulns';
const skip = fixtureSkip() || corpusSkip(PYPA);
const SITE = '/usr/local/lib/python3.11/dist-packages';
const EXTRA_DEB = [
  'Package: zerocve-app-tool',
  'Status: install ok installed',
  'Priority: optional',
  'Section: misc',
  'Installed-Size: 1',
  'Maintainer: nobody <nobody@example.invalid>',
  'Architecture: all',
  'Version: 1.0-1',
  'Description: a package only the app layer installs',
  '',
].join('\n');

let work = '';
let db = '';
let base = '';
let app = '';
let upgraded = '';
let other = '';
let baseDiffIds = 0;

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'zc-e2e-base-'));
  const fx = await fixtureImage('python3');
  base = await imageWithLayer(fx.ociDir, join(work, 'base'), distInfo(SITE, 'pillow', '8.4.0'));
  baseDiffIds = 2;
  const status = readFileSync(join(fx.rootfs, 'var/lib/dpkg/status'), 'utf8');
  app = await imageWithLayer(join(work, 'base'), join(work, 'app'), [
    ...distInfo(SITE, 'torch', '1.12.1'),
    { path: '/models/classifier.pkl', body: maliciousPickle() },
    { path: '/var/lib/dpkg/status', body: `${status.trimEnd()}\n\n${EXTRA_DEB}` },
  ]);
  // the app replaces the base's Pillow 8.4.0 by 9.0.0 (a whiteout and a new dist-info)
  upgraded = await imageWithLayer(join(work, 'base'), join(work, 'upgraded'), [
    { path: `${SITE}/.wh.pillow-8.4.0.dist-info`, body: '' },
    ...distInfo(SITE, 'pillow', '9.0.0'),
  ]);
  other = await imageWithLayer(fx.ociDir, join(work, 'other'), distInfo(SITE, 'mlflow', '2.8.0'));
  db = join(work, 'zerocve.db');
  const pypa = corpusPath(PYPA)!;
  const imp = await zerocve(['db', 'import', '--db', db, join(pypa, 'pillow'), join(pypa, 'torch')]);
  assert.equal(imp.code, 0, imp.stderr);
});
after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** CVE (else advisory) ids of the PyPI records whose `versions` list names the version. */
function listedIn(project: string, version: string): string[] {
  const dir = join(corpusPath(PYPA)!, project);
  const out = new Set<string>();
  for (const f of readdirSync(dir)) {
    const rec = parseYaml(readFileSync(join(dir, f), 'utf8')) as {
      id: string;
      aliases?: string[];
      withdrawn?: string;
      affected: { versions?: string[] }[];
    };
    if (rec.withdrawn) continue;
    if (rec.affected.some((a) => a.versions?.map(String).includes(version)))
      out.add([rec.id, ...(rec.aliases ?? [])].find((i) => i.startsWith('CVE-')) ?? rec.id);
  }
  return [...out].sort();
}

interface Report {
  image: { base?: { name: string; digest?: string; layers: number; via: string }; layers: unknown[] };
  findings: { id: string; kind: string; fromBase?: boolean; package: { name: string; version: string } }[];
  inventory: { packages: { type: string; name: string; version: string; fromBase?: boolean }[] };
  summary: {
    base?: {
      findingsFromBase: Record<string, number>;
      findingsFromApp: Record<string, number>;
      packagesFromBase: number;
      packagesFromApp: number;
      filter?: string;
    };
  };
  warnings: { code: string; message: string }[];
}

async function scanJson(target: string, extra: string[] = []): Promise<Report> {
  const r = await zerocve(['scan', target, '--db', db, '-q', '-f', 'json', '--scanners', 'vuln,model', ...extra]);
  assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Report;
}
const sum = (c: Record<string, number>): number => Object.values(c).reduce((a, b) => a + b, 0);
const ids = (r: Report, name: string): string[] =>
  r.findings
    .filter((f) => f.kind === 'vulnerability' && f.package.name === name)
    .map((f) => f.id)
    .sort();

test(
  '--base: packages and findings split between the base image and the app layers',
  { skip, timeout: 900_000 },
  async () => {
    const cache = join(work, 'cache');
    const r = await scanJson(app, ['--base', base, '--cache-dir', cache]);
    assert.deepEqual(r.image.base && { ...r.image.base, digest: undefined }, {
      name: base,
      digest: undefined,
      layers: baseDiffIds,
      via: 'flag',
    });
    assert.match(r.image.base!.digest ?? '', /^sha256:[0-9a-f]{64}$/);
    // findings: Pillow's are the base's, torch's and the pickle's the app's — and they are what the advisories list
    const pillow = listedIn('pillow', '8.4.0');
    const torch = listedIn('torch', '1.12.1');
    assert.ok(pillow.length > 0 && torch.length > 0);
    assert.deepEqual(ids(r, 'pillow'), pillow);
    assert.deepEqual(ids(r, 'torch'), torch);
    for (const f of r.findings)
      assert.equal(f.fromBase, f.package.name === 'pillow', `${f.id} ${f.package.name} fromBase=${f.fromBase}`);
    assert.ok(
      r.findings.some((f) => f.kind === 'model' && f.fromBase === false),
      'the pickle is the app layer’s',
    );
    // packages: every deb of the base stays the base's although the app layer rewrote the dpkg status file
    const debs = r.inventory.packages.filter((p) => p.type === 'deb');
    assert.ok(debs.length > 50);
    for (const p of debs) assert.equal(p.fromBase, p.name !== 'zerocve-app-tool', `${p.name} fromBase=${p.fromBase}`);
    assert.equal(r.inventory.packages.find((p) => p.name === 'torch')?.fromBase, false);
    assert.equal(r.inventory.packages.find((p) => p.name === 'pillow')?.fromBase, true);
    const s = r.summary.base!;
    assert.equal(sum(s.findingsFromBase), r.findings.filter((f) => f.fromBase).length);
    assert.equal(sum(s.findingsFromApp), r.findings.filter((f) => !f.fromBase).length);
    assert.equal(s.packagesFromApp, 2); // torch and zerocve-app-tool
    assert.equal(s.packagesFromBase, r.inventory.packages.length - 2);

    // the filters keep one side, and the table says where findings come from
    const onlyBase = await scanJson(app, ['--base', base, '--cache-dir', cache, '--only-base']);
    assert.deepEqual(onlyBase.findings.map((f) => f.id).sort(), pillow);
    assert.equal(onlyBase.summary.base?.filter, 'only-base');
    const appOnly = await scanJson(app, ['--base', base, '--cache-dir', cache, '--exclude-base']);
    assert.ok(appOnly.findings.every((f) => f.fromBase === false));
    assert.deepEqual(ids(appOnly, 'torch'), torch);
    const table = await zerocve([
      'scan',
      app,
      '--db',
      db,
      '-q',
      '--scanners',
      'vuln,model',
      '--base',
      base,
      '--cache-dir',
      cache,
    ]);
    assert.match(
      table.stdout,
      new RegExp(`Base +${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(2 of 3 layers, from --base\\)`),
    );
    assert.match(
      table.stdout,
      new RegExp(
        `findings ${sum(s.findingsFromBase)} from base, ${sum(s.findingsFromApp)} from app; packages ` +
          `${s.packagesFromBase} from base, 2 from app`,
      ),
    );
    // SARIF and CycloneDX carry it
    const sarifFile = join(work, 'scan.sarif');
    const cdxFile = join(work, 'scan.cdx.json');
    const multi = await zerocve([
      'scan',
      app,
      '--db',
      db,
      '-q',
      '--scanners',
      'vuln',
      '--base',
      base,
      '--cache-dir',
      cache,
      '-o',
      `sarif=${sarifFile}`,
      '-o',
      `cyclonedx-json=${cdxFile}`,
    ]);
    assert.ok(multi.code === 0 || multi.code === 1, multi.stderr);
    const sarif = JSON.parse(readFileSync(sarifFile, 'utf8'));
    assert.deepEqual(sarif.runs[0].properties.baseImage.layers, 2);
    for (const res of sarif.runs[0].results)
      assert.equal(res.properties.fromBase, /pillow/.test(res.message.text), res.message.text);
    const cdx = JSON.parse(readFileSync(cdxFile, 'utf8'));
    const prop = (o: { properties?: { name: string; value: string }[] }, n: string) =>
      o.properties?.find((p) => p.name === n)?.value;
    assert.equal(prop(cdx.metadata.component, 'zerocve:base-image'), base);
    const comp = (name: string) => cdx.components.find((c: { name: string }) => c.name === name);
    assert.equal(prop(comp('pillow'), 'zerocve:from-base'), 'true');
    assert.equal(prop(comp('torch'), 'zerocve:from-base'), 'false');
    assert.ok(cdx.vulnerabilities.length > 0);
    for (const v of cdx.vulnerabilities) assert.match(prop(v, 'zerocve:from-base') ?? '', /^(true|false)$/);
  },
);

test('an upgrade in the app layer belongs to the app', { skip, timeout: 900_000 }, async () => {
  const r = await scanJson(upgraded, ['--base', base, '--no-cache']);
  const pillow = r.inventory.packages.filter((p) => p.name === 'pillow');
  assert.deepEqual(
    pillow.map((p) => [p.version, p.fromBase]),
    [['9.0.0', false]],
  );
  assert.deepEqual(ids(r, 'pillow'), listedIn('pillow', '9.0.0'));
  for (const f of r.findings) assert.equal(f.fromBase, false, f.id);
});

test(
  '--base errors: not a prefix, conflicting filters, filters without a base',
  { skip, timeout: 900_000 },
  async () => {
    const notBase = await zerocve(['scan', app, '--db', db, '-q', '--no-cache', '--scanners', 'vuln', '--base', other]);
    assert.equal(notBase.code, 2, notBase.stderr);
    assert.match(
      notBase.stderr,
      /--base .* is not the base of .*: its layer 2 \([0-9a-f]{12}\) is not the scanned image's layer 2/,
    );
    assert.equal(notBase.stderr.trim().split('\n').length, 1, notBase.stderr);
    // a base that cannot be read fails before the scan walks anything
    const missing = await zerocve([
      'scan',
      app,
      '--db',
      db,
      '-q',
      '--no-cache',
      '--base',
      `oci-dir:${join(work, 'nope')}:latest`,
    ]);
    assert.equal(missing.code, 3, missing.stderr);
    assert.match(missing.stderr, /nope:latest: cannot read directory/);
    const both = await zerocve(['scan', app, '--db', db, '--only-base', '--exclude-base']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--only-base and --exclude-base exclude each other/);
    const unknown = await zerocve(['scan', app, '--db', db, '-q', '--no-cache', '--scanners', 'vuln', '--only-base']);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /--only-base: the base image is not known: pass --base IMAGE/);
    // without --base and without annotations nothing is split
    const plain = await scanJson(app, ['--no-cache']);
    assert.equal(plain.image.base, undefined);
    assert.equal(plain.summary.base, undefined);
    assert.ok(plain.findings.every((f) => f.fromBase === undefined));
  },
);

test('the base named by the OCI annotations, read from a registry', { skip, timeout: 900_000 }, async () => {
  let reg: RunningRegistry | undefined;
  try {
    reg = await startRegistry();
    await pushOciLayout(join(work, 'base'), 'latest', reg.host, undefined, { repo: 'ml/base' });
    const baseIndex = JSON.parse(readFileSync(join(work, 'base', 'index.json'), 'utf8'));
    const digest = baseIndex.manifests[0].digest as string;
    const annotated = await imageWithLayer(
      join(work, 'base'),
      join(work, 'annotated'),
      distInfo(SITE, 'torch', '1.12.1'),
      {
        annotations: {
          'org.opencontainers.image.base.name': `${reg.host}/ml/base:latest`,
          'org.opencontainers.image.base.digest': digest,
        },
      },
    );
    const r = await scanJson(annotated, ['--no-cache', '--insecure']);
    assert.deepEqual(r.image.base, { name: `${reg.host}/ml/base:latest`, digest, layers: 2, via: 'annotation' });
    assert.deepEqual(ids(r, 'pillow'), listedIn('pillow', '8.4.0'));
    for (const f of r.findings) assert.equal(f.fromBase, f.package.name === 'pillow', f.id);
    // the annotated base cannot be read (registry gone): a warning, no split
    await reg.stop();
    reg = undefined;
    const gone = await zerocve([
      'scan',
      annotated,
      '--db',
      db,
      '--no-cache',
      '--insecure',
      '-f',
      'json',
      '--scanners',
      'vuln',
    ]);
    assert.ok(gone.code === 0 || gone.code === 1, gone.stderr);
    const g = JSON.parse(gone.stdout) as Report;
    assert.equal(g.image.base, undefined);
    assert.ok(
      g.warnings.some(
        (w) =>
          w.code === 'base-image-unknown' &&
          /names its base .* but it could not be read .*pass --base IMAGE/.test(w.message),
      ),
      JSON.stringify(g.warnings),
    );
  } finally {
    await reg?.stop();
  }
});
