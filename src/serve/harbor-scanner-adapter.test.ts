// The Harbor scanner-adapter protocol pieces, each body validated against the spec's OpenAPI document (v1.2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ValidateFunction } from 'ajv';
import {
  harborMetadata,
  parseHarborScanRequest,
  negotiateHarborReport,
  basicCredentials,
  registryAuth,
  harborError,
  HarborProtocolError,
  HARBOR_MEDIA,
} from './harbor-scanner-adapter.ts';
import { buildHarborVulnerabilityReport } from '../report/index.ts';
import { pipelineReport } from '../../test/support/report-fixture.ts';
import { corpusPath, corpusSkip } from '../../test/support/corpus.ts';
import { loadHarborSpec, HARBOR_SPEC_REL } from '../../test/support/harbor-spec.ts';

const skip = corpusSkip(HARBOR_SPEC_REL) || corpusSkip('conformance/trivy');
const D = 'sha256:' + '6c'.repeat(32);

function valid(v: ValidateFunction, body: unknown): void {
  assert.ok(v(body), JSON.stringify(v.errors));
}

test('metadata, scan response and error bodies conform to the spec', { skip }, () => {
  const spec = loadHarborSpec();
  const meta = harborMetadata('0.2.0', '2026-12-01T00:00:00Z');
  valid(spec.response('/metadata', 'get', 200, HARBOR_MEDIA.metadata), meta);
  assert.deepEqual(
    meta.capabilities.map((c) => c.type),
    ['vulnerability', 'sbom'],
  );
  valid(spec.response('/scan', 'post', 202, HARBOR_MEDIA.scanResponse), { id: 'a1b2' });
  for (const status of [400, 422, 500, 501])
    valid(spec.response('/scan', 'post', status, HARBOR_MEDIA.error), harborError('bad'));
  assert.ok(spec.responseEntry('/scan/{scan_request_id}/report', 'get', 302)?.headers, 'the spec names Refresh-After');
});

test('scan requests as Harbor sends them parse; credentials are for the pull only', { skip }, () => {
  const spec = loadHarborSpec();
  const body = {
    registry: {
      url: 'https://core.harbor.domain',
      authorization: 'Basic ' + Buffer.from('robot$ml:tok').toString('base64'),
    },
    artifact: {
      repository: 'library/mongo',
      digest: D,
      tag: '3.14-xenial',
      mime_type: 'application/vnd.docker.distribution.manifest.v2+json',
    },
    enabled_capabilities: [
      { type: 'vulnerability' },
      { type: 'sbom', parameters: { sbom_media_types: ['application/spdx+json'] } },
    ],
  };
  valid(spec.request('/scan', 'post', HARBOR_MEDIA.scanRequest11), body);
  const req = parseHarborScanRequest(body);
  assert.equal(req.ref, `core.harbor.domain/library/mongo@${D}`);
  assert.equal(req.insecure, false);
  assert.deepEqual(req.capabilities, ['vulnerability', 'sbom']);
  assert.deepEqual(basicCredentials(req.authorization), { username: 'robot$ml', password: 'tok' });
  assert.equal(basicCredentials('Bearer abc'), undefined);
  // the spec allows both schemes: a robot account's Basic credentials or a registry Bearer token
  assert.deepEqual(registryAuth(req.authorization), { username: 'robot$ml', password: 'tok' });
  assert.deepEqual(registryAuth('Bearer eyJh.eyJz.c2ln'), { token: 'eyJh.eyJz.c2ln' });
  assert.deepEqual(registryAuth('bearer abc'), { token: 'abc' });
  for (const bad of [undefined, '', 'Bearer', 'Bearer a b', 'Digest x', 'Basic !!', 'Basic ' + btoa('no-colon')])
    assert.equal(registryAuth(bad), undefined, String(bad));
  const http = parseHarborScanRequest({
    registry: { url: 'http://127.0.0.1:5000' },
    artifact: { repository: 'a/b', digest: D },
  });
  assert.equal(http.insecure, true);
  assert.equal(http.ref, `127.0.0.1:5000/a/b@${D}`);
});

test('bad scan requests get the spec status: 400 bad JSON types, 422 invalid fields, 501 unscannable artifacts', () => {
  const cases: [unknown, number][] = [
    [[], 400],
    [{ registry: 'x', artifact: {} }, 400],
    [{ registry: {}, artifact: { repository: 'a', digest: D } }, 422],
    [{ registry: { url: 'ftp://x' }, artifact: { repository: 'a', digest: D } }, 422],
    [{ registry: { url: 'https://x' }, artifact: { repository: 'a', digest: 'latest' } }, 422],
    [
      {
        registry: { url: 'https://x' },
        artifact: { repository: 'a', digest: D, mime_type: 'application/vnd.cncf.helm.config.v1+json' },
      },
      501,
    ],
  ];
  for (const [body, status] of cases)
    assert.throws(
      () => parseHarborScanRequest(body),
      (e: unknown) => e instanceof HarborProtocolError && e.status === status && !e.message.includes('\n'),
    );
});

test('report negotiation: Accept picks the report; SBOM needs sbom_media_type', () => {
  assert.deepEqual(negotiateHarborReport(undefined, null), {
    kind: 'vulnerability',
    mediaType: HARBOR_MEDIA.vulnHarbor,
  });
  assert.deepEqual(negotiateHarborReport('application/vnd.security.vulnerability.report;version=1.1', null), {
    kind: 'vulnerability',
    mediaType: HARBOR_MEDIA.vuln11,
  });
  assert.deepEqual(negotiateHarborReport(HARBOR_MEDIA.sbom, 'application/vnd.cyclonedx+json'), {
    kind: 'sbom',
    sbomMediaType: 'application/vnd.cyclonedx+json',
  });
  assert.throws(
    () => negotiateHarborReport(HARBOR_MEDIA.sbom, null),
    (e: unknown) => e instanceof HarborProtocolError && e.status === 400,
  );
  assert.throws(
    () => negotiateHarborReport('text/csv', null),
    (e: unknown) => e instanceof HarborProtocolError && e.status === 501,
  );
});

test('the vulnerability report of a real-data scan conforms to the spec in both media types', { skip }, async () => {
  const spec = loadHarborSpec();
  const report = await pipelineReport({ corpus: corpusPath('') as string });
  assert.ok(report.findings.length > 0);
  const harbor = buildHarborVulnerabilityReport(
    report,
    {
      repository: 'library/mongo',
      digest: D,
      tag: '3.14-xenial',
      mime_type: 'application/vnd.oci.image.manifest.v1+json',
    },
    { name: 'zerocve', vendor: 'zerocve', version: '0.2.0' },
  );
  for (const media of [HARBOR_MEDIA.vuln11, HARBOR_MEDIA.vulnHarbor])
    valid(spec.response('/scan/{scan_request_id}/report', 'get', 200, media), harbor);
  const vulns = report.findings.filter((f) => f.kind === 'vulnerability');
  assert.equal(harbor.vulnerabilities.length, vulns.length);
  const f = vulns[0];
  const item = harbor.vulnerabilities[0];
  assert.equal(item.id, f.id);
  assert.equal(item.package, f.package.name);
  assert.equal(item.version, f.installedVersion);
  assert.equal(item.severity, f.severity[0].toUpperCase() + f.severity.slice(1));
  assert.ok(['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown'].includes(harbor.severity));
  const sbomReport = {
    generated_at: new Date().toISOString(),
    artifact: harbor.artifact,
    scanner: harbor.scanner,
    media_type: 'application/vnd.cyclonedx+json',
    sbom: { bomFormat: 'CycloneDX', specVersion: '1.6' },
  };
  valid(spec.response('/scan/{scan_request_id}/report', 'get', 200, HARBOR_MEDIA.sbom), sbomReport);
});
