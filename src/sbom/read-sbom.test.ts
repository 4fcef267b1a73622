import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { corpusPath, corpusSkip } from '../../test/support/corpus.ts';
import { pipelineReport } from '../../test/support/report-fixture.ts';
import { sbomReporterFor } from '../report/index.ts';
import { readSbom, parseSbom } from './index.ts';
import { REPORT_SCHEMA_VERSION } from '../core/report.ts';
import { InputError } from '../core/errors.ts';
import type { Package } from '../core/package.ts';

const tmp = mkdtempSync(join(tmpdir(), 'zerocve-sbom-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

async function writeSbom(format: string, files = false): Promise<string> {
  const r = await pipelineReport({ corpus: corpusPath('') as string });
  r.inventory.packages[0].licenses = ['GPL-2.0-only', 'Some Custom License'];
  r.inventory.packages[1].ownedBy = r.inventory.packages[0].id;
  if (files) r.inventory.packages[0].files = ['/usr/share/doc/x/copyright', '/usr/bin/x'];
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await sbomReporterFor(format).write(r, out, { files });
  out.end();
  const path = join(tmp, `fixture.${format}.json`);
  writeFileSync(path, Buffer.concat(chunks));
  return path;
}

const essentials = (p: Package): object => ({
  id: p.id,
  type: p.type,
  name: p.name,
  version: p.version,
  purl: p.purl,
  locations: p.locations,
  metadata: p.metadata,
  licenses: p.licenses ? [...p.licenses].sort() : undefined,
  ownedBy: p.ownedBy,
});
const SKIP =
  corpusSkip('conformance/trivy/pkg/fanal/analyzer/pkg/dpkg/testdata/valid.txtar') ||
  corpusSkip('vulndata/pypa-advisory-database/vulns');

for (const format of ['cyclonedx-json', 'spdx-json', 'json']) {
  test(`round trip: zerocve ${format} SBOM reads back to the same inventory`, { skip: SKIP }, async () => {
    const path = await writeSbom(format);
    const original = await pipelineReport({ corpus: corpusPath('') as string });
    original.inventory.packages[0].licenses = ['GPL-2.0-only', 'Some Custom License'];
    original.inventory.packages[1].ownedBy = original.inventory.packages[0].id;
    const got = await readSbom(path);
    assert.match(
      got.format,
      format === 'json'
        ? new RegExp(`^zerocve-json@${REPORT_SCHEMA_VERSION}$`)
        : format === 'spdx-json'
          ? /^spdx-json@2\.3$/
          : /^cyclonedx-json@1\.6$/,
    );
    assert.deepEqual(
      got.inventory.packages.map(essentials).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      original.inventory.packages.map(essentials).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    );
    const os = original.inventory.os;
    assert.deepEqual(
      { ...got.inventory.os },
      {
        id: os?.id,
        versionId: os?.versionId,
        prettyName: os?.prettyName,
        versionCodename: os?.versionCodename,
        path: os?.path,
        ...(format === 'json' ? { idLike: os?.idLike } : {}),
      },
    );
    if (format !== 'spdx-json') assert.deepEqual(got.inventory.models, original.inventory.models);
    assert.equal(got.image?.kind, 'sbom');
    if (format !== 'spdx-json') assert.equal(got.image?.manifestDigest, original.image.source.manifestDigest);
  });
}

test('round trip keeps owned files when written with --files', { skip: SKIP }, async () => {
  const got = await readSbom(await writeSbom('cyclonedx-json', true));
  const withFiles = got.inventory.packages.filter((p) => p.files?.length);
  assert.equal(withFiles.length, 1);
  assert.deepEqual(withFiles[0].files, ['/usr/bin/x', '/usr/share/doc/x/copyright'].sort());
});

// Real SBOMs written by peers (Trivy, osv-scanner fixtures, Grype's Syft fixtures).
const PEERS: {
  file: string;
  format: RegExp;
  os?: { id: string; versionId: string };
  check: (pkgs: Package[], problems: string[]) => void;
}[] = [
  {
    file: 'conformance/trivy/integration/testdata/fixtures/sbom/centos-7-cyclonedx.json',
    format: /^cyclonedx-json@1\.5$/,
    os: { id: 'centos', versionId: '7.6.1810' },
    check: (pkgs) => {
      const ssl = pkgs.find((p) => p.name === 'openssl-libs');
      assert.equal(ssl?.version, '1:1.0.2k-16.el7');
      assert.deepEqual(ssl?.metadata, {
        kind: 'rpm',
        release: '16.el7',
        arch: 'x86_64',
        epoch: 1,
        sourceRpm: 'openssl-1.0.2k-16.el7.src.rpm',
      });
    },
  },
  {
    file: 'conformance/trivy/integration/testdata/fixtures/sbom/centos-7-spdx.json',
    format: /^spdx-json@2\.2$/,
    os: { id: 'centos', versionId: '7.6.1810' },
    check: (pkgs) => {
      const bash = pkgs.find((p) => p.name === 'bash');
      assert.equal(bash?.type, 'rpm');
      assert.equal(bash?.metadata.kind === 'rpm' && bash.metadata.sourceRpm, 'bash-4.2.46-31.el7.src.rpm');
    },
  },
  {
    file: 'conformance/osv-scanner/cmd/osv-scanner/scan/source/testdata/sbom-insecure/alpine-zlib-16.cdx.json',
    format: /^cyclonedx-json@1\.6$/,
    os: { id: 'alpine', versionId: '3.22.0' },
    check: (pkgs) =>
      assert.deepEqual(
        pkgs.map((p) => [p.type, p.name, p.version, p.metadata]),
        [['apk', 'zlib', '1.2.12-r1', { kind: 'apk', origin: 'zlib', arch: 'x86_64' }]],
      ),
  },
  {
    file: 'conformance/osv-scanner/cmd/osv-scanner/scan/source/testdata/sbom-insecure/only-unimportant.spdx.json',
    format: /^spdx-json@2\.3$/,
    os: { id: 'ubuntu', versionId: '20.04' },
    check: (pkgs) => {
      const pcre = pkgs.find((p) => p.name === 'pcre3');
      assert.equal(pcre?.version, '2:8.39-12ubuntu0.1');
      assert.equal(pcre?.metadata.kind === 'dpkg' && pcre.metadata.source, 'pcre3');
    },
  },
  {
    file: 'conformance/grype/test/integration/testdata/sbom/syft-sbom-with-unknown-packages.json',
    format: /^syft-json@/,
    os: { id: 'ubuntu', versionId: '20.04' },
    check: (pkgs, problems) => {
      assert.equal(pkgs.length, 0);
      assert.equal(problems.length, 1);
      assert.match(problems[0], /my-package.*no purl/);
    },
  },
  {
    file: 'conformance/trivy/integration/testdata/conda-spdx.json.golden',
    format: /^spdx-json@2\.3$/,
    check: (pkgs) =>
      assert.deepEqual(pkgs.map((p) => `${p.type}:${p.name}@${p.version}`).sort(), [
        'conda:openssl@1.1.1q',
        'conda:pip@22.2.2',
      ]),
  },
  {
    file: 'conformance/trivy/integration/testdata/fixtures/sbom/license-cyclonedx.json',
    format: /^cyclonedx-json@1\.5$/,
    // Maven components, named group:artifact whatever the writer put in `name` (Trivy: the artifactId)
    check: (pkgs) =>
      assert.deepEqual(pkgs.map((p) => `${p.type}:${p.name}@${p.version} ${p.purl}`).sort(), [
        'maven:org.eclipse.sisu:org.eclipse.sisu.plexus@0.3.0.M1 ' +
          'pkg:maven/org.eclipse.sisu/org.eclipse.sisu.plexus@0.3.0.M1',
        'maven:org.ow2.asm:asm@9.5 pkg:maven/org.ow2.asm/asm@9.5',
        'maven:org.slf4j:slf4j-api@2.0.11 pkg:maven/org.slf4j/slf4j-api@2.0.11',
      ]),
  },
];

for (const peer of PEERS) {
  test(`peer SBOM: ${peer.file.split('/').at(-1)}`, { skip: corpusSkip(peer.file) }, async () => {
    const path = corpusPath(peer.file) as string;
    const got = await readSbom(path);
    assert.match(got.format, peer.format);
    if (peer.os) assert.deepEqual({ id: got.inventory.os?.id, versionId: got.inventory.os?.versionId }, peer.os);
    for (const p of got.inventory.packages) {
      assert.ok(p.id.startsWith(`${p.type}:${p.name}@${p.version}:`), p.id);
      assert.ok(p.locations.length > 0);
    }
    for (const pr of got.inventory.problems) assert.equal(pr.path, path);
    peer.check(
      got.inventory.packages,
      got.inventory.problems.map((p) => p.message),
    );
  });
}

test('bad input is an InputError with one line naming the file', async () => {
  const cases: [string, string, RegExp][] = [
    ['not-json.json', 'hello <xml/>', /not JSON/],
    ['array.json', '[1,2]', /unknown SBOM format/],
    ['other.json', '{"name":"x"}', /unknown SBOM format/],
    ['cdx-old.json', '{"bomFormat":"CycloneDX","specVersion":"1.0"}', /specVersion "1\.0" is not supported/],
    ['spdx3.json', '{"spdxVersion":"SPDX-3.0"}', /SPDX-3\.0 is not supported/],
  ];
  for (const [name, text, re] of cases) {
    const path = join(tmp, name);
    writeFileSync(path, text);
    await assert.rejects(readSbom(path), (err: unknown) => {
      assert.ok(err instanceof InputError, String(err));
      assert.match(err.message, re);
      assert.ok(err.message.includes(path));
      assert.ok(!err.message.includes('\n'));
      return true;
    });
  }
  await assert.rejects(
    readSbom(join(tmp, 'missing.json')),
    (err: unknown) => err instanceof InputError && /cannot read/.test(err.message),
  );
  // a component without purl or of an unsupported ecosystem is a problem, never a crash
  const got = parseSbom(
    '{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"left-pad","purl":"' +
      'pkg:gem/left-pad@1.3.0"},{"type":"library","name":"x"},{"type":"library","name":"bad","purl":"not ' +
      'a purl"},{"type":"library","name":"core","purl":"pkg:npm/%40babel/core@7.0.0"}]}',
    'mem.json',
  );
  assert.deepEqual(
    got.inventory.packages.map((p) => `${p.type}:${p.name}@${p.version}`),
    ['npm:@babel/core@7.0.0'],
  );
  assert.equal(got.inventory.problems.length, 3);
  // each says what kind of problem it is: a type zerocve does not read, a missing purl, a purl that does not parse
  assert.deepEqual(got.inventory.problems.map((p) => p.code).sort(), ['malformed', 'skipped', 'unsupported']);
});

test('schemaVersion 1 zerocve SBOM: installedSize (bytes) read as installedSizeBytes, problems get a code', () => {
  const pkg = {
    id: 'deb:libc6@2.36-9:/var/lib/dpkg/status',
    type: 'deb',
    name: 'libc6',
    version: '2.36-9',
    purl: 'pkg:deb/debian/libc6@2.36-9',
    locations: [{ path: '/var/lib/dpkg/status', layer: 0 }],
    metadata: { kind: 'dpkg', source: 'glibc', sourceVersion: '2.36-9', arch: 'amd64', installedSize: 13_004_800 },
  };
  const doc = (v: number) =>
    JSON.stringify({
      schemaVersion: v,
      kind: 'sbom',
      tool: { name: 'zerocve' },
      inventory: {
        packages: [pkg],
        problems: [
          { path: '/m.safetensors', analyzer: 'model', message: 'safetensors header truncated: 3 of 9 bytes' },
        ],
      },
    });
  assert.deepEqual(
    parseSbom(doc(1), 'v1.json').inventory.problems.map((p) => p.code),
    ['truncated'],
  );
  const v1 = parseSbom(doc(1), 'v1.json').inventory.packages[0].metadata;
  assert.deepEqual(v1, {
    kind: 'dpkg',
    source: 'glibc',
    sourceVersion: '2.36-9',
    arch: 'amd64',
    installedSizeBytes: 13_004_800,
  });
  const v2 = parseSbom(doc(2), 'v2.json').inventory.packages[0].metadata as Record<string, unknown>;
  assert.equal(v2.installedSize, 13_004_800, 'a version 2 document is read as written');
});
