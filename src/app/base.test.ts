// The base-image rules that need no image: annotation targets, refusals, attribution and filters. The end-to-end
// behaviour with real images is in test/e2e/base.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../core/errors.ts';
import type { Finding } from '../core/finding.ts';
import type { Inventory, Package } from '../core/package.ts';
import type { ImageSummary } from '../core/report.ts';
import { annotatedBaseTarget, attributeToBase, filterByBase, resolveBase } from './base.ts';

const NAME = 'org.opencontainers.image.base.name';
const DIGEST = 'org.opencontainers.image.base.digest';
const D = `sha256:${'b'.repeat(64)}`;

test('annotated base: always a registry reference, with the digest when given', () => {
  assert.equal(annotatedBaseTarget(undefined), undefined);
  assert.equal(annotatedBaseTarget({ [DIGEST]: D }), undefined);
  assert.equal(
    annotatedBaseTarget({ [NAME]: 'docker.io/library/ubuntu:22.04' }),
    'registry:docker.io/library/ubuntu:22.04',
  );
  assert.equal(
    annotatedBaseTarget({ [NAME]: 'docker.io/library/ubuntu:22.04', [DIGEST]: D }),
    `registry:docker.io/library/ubuntu:22.04@${D}`,
  );
  assert.equal(
    annotatedBaseTarget({ [NAME]: `nvcr.io/nvidia/cuda@${D}`, [DIGEST]: D }),
    `registry:nvcr.io/nvidia/cuda@${D}`,
  );
  // a path scheme stays inside the registry reference, where it is not valid: the host is never read
  assert.equal(annotatedBaseTarget({ [NAME]: 'dir:/' }), 'registry:dir:/');
});

const summary = (
  annotations?: Record<string, string>,
  kind: ImageSummary['source']['kind'] = 'oci-dir',
): ImageSummary => ({
  source: { target: 'oci-dir:/x:latest', kind },
  config: { diffIds: [`sha256:${'1'.repeat(64)}`, `sha256:${'2'.repeat(64)}`] },
  layers: [],
  ...(annotations ? { annotations } : {}),
});

test('annotated base that is not a registry image: a warning, nothing opened', async () => {
  const r = await resolveBase(summary({ [NAME]: 'dir:/' }), { fromAnnotations: true });
  assert.equal(r.base, undefined);
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0], /names its base dir:\/ .* could not be read .*pass --base IMAGE/);
  // offline: the registry is not asked
  const off = await resolveBase(summary({ [NAME]: 'docker.io/library/debian:12' }), {
    fromAnnotations: true,
    open: { offline: true },
  });
  assert.equal(off.base, undefined);
  assert.match(off.warnings[0], /offline mode forbids network access/);
  // annotations ignored unless asked
  assert.deepEqual(await resolveBase(summary({ [NAME]: 'dir:/' }), {}), { warnings: [] });
});

test('--base on a target without layers is a usage error', async () => {
  await assert.rejects(resolveBase(summary(undefined, 'dir'), { image: 'oci-dir:/y' }), UsageError);
  await assert.rejects(resolveBase(summary(undefined, 'sbom'), { image: 'oci-dir:/y' }), /nothing to split/);
});

function pkg(name: string, version: string, layer: number): Package {
  const path = `/usr/lib/python3/dist-packages/${name}-${version}.dist-info/METADATA`;
  return {
    id: `python:${name}@${version}:${path}`,
    type: 'python',
    name,
    version,
    purl: `pkg:pypi/${name}@${version}`,
    locations: [{ path, layer }],
    metadata: { kind: 'python', format: 'dist-info', sitePackages: '/usr/lib/python3/dist-packages' },
  };
}
function finding(p: Package | { id: string; layer: number }, id: string): Finding {
  const isPkg = 'type' in p;
  return {
    id,
    aliases: [],
    package: isPkg
      ? { id: p.id, type: p.type, name: p.name, version: p.version, purl: p.purl, locations: p.locations }
      : { id: p.id, type: 'binary', name: p.id, version: '', purl: '', locations: [{ path: p.id, layer: p.layer }] },
    installedVersion: isPkg ? p.version : '',
    fixedVersions: [],
    fixState: 'unknown',
    severity: 'high',
    severitySource: 'test',
    cvss: [],
    kev: false,
    references: [],
    evidence: [],
    kind: isPkg ? 'vulnerability' : 'secret',
  };
}
const inv = (packages: Package[]): Inventory => ({ packages, models: [], problems: [] });

test('attribution: by the base inventory for packages (whatever layer wrote the record), by layer for files', () => {
  // the app layer (2) rewrote the record of numpy but it is the same numpy the base has; pillow was upgraded
  const numpy = pkg('numpy', '1.24.2', 2);
  const pillowNew = pkg('pillow', '10.0.0', 2);
  const torch = pkg('torch', '2.0.1', 1);
  const base = inv([pkg('numpy', '1.24.2', 0), pkg('pillow', '9.0.0', 0), torch]);
  const secretInBase = { id: 'file:/etc/secret', layer: 1 };
  const secretInApp = { id: 'file:/app/.env', layer: 2 };
  const out = attributeToBase(
    inv([numpy, pillowNew, torch]),
    [
      finding(numpy, 'CVE-1'),
      finding(pillowNew, 'CVE-2'),
      finding(torch, 'CVE-3'),
      finding(secretInBase, 'S1'),
      finding(secretInApp, 'S2'),
    ],
    { inventory: base, layers: 2 },
  );
  assert.deepEqual(
    out.inventory.packages.map((p) => [p.name, p.fromBase]),
    [
      ['numpy', true],
      ['pillow', false],
      ['torch', true],
    ],
  );
  assert.deepEqual(
    out.findings.map((f) => [f.id, f.fromBase]),
    [
      ['CVE-1', true],
      ['CVE-2', false],
      ['CVE-3', true],
      ['S1', true],
      ['S2', false],
    ],
  );
  assert.deepEqual(
    filterByBase(out.findings, 'only-base').map((f) => f.id),
    ['CVE-1', 'CVE-3', 'S1'],
  );
  assert.deepEqual(
    filterByBase(out.findings, 'exclude-base').map((f) => f.id),
    ['CVE-2', 'S2'],
  );
  assert.equal(filterByBase(out.findings, undefined).length, 5);
});
