import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding } from '../core/finding.ts';
import type { Severity } from '../core/advisory.ts';
import { applyPolicy } from './apply.ts';
import { parseIgnoreFile } from './ignore-file.ts';
import { parseOpenVex } from './openvex.ts';
import { driverSatisfies } from './driver.ts';

function finding(
  id: string,
  pkg: { name: string; version: string; purl: string; type?: 'deb' | 'python' | 'cuda'; path?: string },
  severity: Severity,
  fixed: string[] = [],
  aliases: string[] = [],
): Finding {
  return {
    id,
    aliases,
    kind: 'vulnerability',
    installedVersion: pkg.version,
    fixedVersions: fixed,
    fixState: fixed.length ? 'fixed' : 'not-fixed',
    severity,
    severitySource: 'test',
    cvss: [],
    kev: false,
    references: [],
    evidence: [],
    package: {
      id: `${pkg.type ?? 'deb'}:${pkg.name}`,
      type: pkg.type ?? 'deb',
      name: pkg.name,
      version: pkg.version,
      purl: pkg.purl,
      locations: [{ path: pkg.path ?? '/var/lib/dpkg/status', layer: 0 }],
    },
  };
}

const openssl = {
  name: 'openssl',
  version: '3.0.11-1~deb12u2',
  purl: 'pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12.13',
};
const cudart = {
  name: 'cudart',
  version: '12.1.105',
  purl: 'pkg:generic/nvidia/cudart@12.1.105?cuda=12.1',
  type: 'cuda' as const,
  path: '/usr/local/cuda-12.1/version.json',
};
const torch = {
  name: 'torch',
  version: '2.1.0',
  purl: 'pkg:pypi/torch@2.1.0',
  type: 'python' as const,
  path: '/usr/local/lib/python3.11/site-packages/torch-2.1.0.dist-info/METADATA',
};

const all = [
  finding('CVE-2024-0001', openssl, 'high', ['3.0.13-1~deb12u1']),
  finding('CVE-2024-0002', openssl, 'low'),
  finding('CVE-2024-0053', cudart, 'critical', [], ['NVIDIA-5551']),
  finding('CVE-2024-9999', torch, 'medium', ['2.2.0'], ['GHSA-aaaa-bbbb-cccc']),
];

const rulesYaml = `
rules:
  - id: CVE-2024-0053
    package: cudart
    driver: ">=550.54.15"
    reason: fixed in the host kernel driver
  - id: GHSA-aaaa-*
    path: /usr/local/lib/python3.11/**
    reason: torch.load is never called on untrusted files
    expires: 2026-01-31
  - package: "pkg:deb/debian/openssl?distro=debian-12"
    id: CVE-2024-0002
    reason: not reachable
`;

test('a driver-conditional rule applies for a satisfying host driver and not otherwise', () => {
  const rules = parseIgnoreFile(rulesYaml, '.zerocve-ignore.yaml');
  const now = new Date('2025-06-01');
  const ok = applyPolicy(all, { ignoreRules: rules, driverVersion: '550.54.15', now });
  const s = ok.suppressed.find((x) => x.finding.id === 'CVE-2024-0053');
  assert.ok(s, 'suppressed with a satisfying driver');
  assert.match(s.reason, /host driver 550\.54\.15 satisfies >=550\.54\.15/);
  assert.equal(s.rule, '.zerocve-ignore.yaml:3');
  const old = applyPolicy(all, { ignoreRules: rules, driverVersion: '535.104.05', now });
  assert.ok(
    old.findings.some((f) => f.id === 'CVE-2024-0053'),
    'kept with an older driver',
  );
  const none = applyPolicy(all, { ignoreRules: rules, now });
  assert.ok(
    none.findings.some((f) => f.id === 'CVE-2024-0053'),
    'kept when the driver is unknown',
  );
  assert.ok(none.warnings.some((w) => w.code === 'ignore-rule-needs-driver' && /--driver-version/.test(w.message)));
});

test('an expired rule stops applying and is reported', () => {
  const rules = parseIgnoreFile(rulesYaml, 'ig.yaml');
  const before = applyPolicy(all, { ignoreRules: rules, now: new Date('2026-01-31T23:00:00Z') });
  assert.ok(
    before.suppressed.some((s) => s.finding.id === 'CVE-2024-9999' && s.by === 'ignore-file'),
    'alias glob + path glob match before expiry',
  );
  const after = applyPolicy(all, { ignoreRules: rules, now: new Date('2026-02-01T00:00:01Z') });
  assert.ok(after.findings.some((f) => f.id === 'CVE-2024-9999'));
  assert.equal(after.expiredRules.length, 1);
  assert.ok(after.warnings.some((w) => w.code === 'ignore-rule-expired' && /expired on 2026-01-31/.test(w.message)));
});

test('purl rules match across distro qualifier differences', () => {
  const r = applyPolicy(all, { ignoreRules: parseIgnoreFile(rulesYaml, 'ig.yaml'), now: new Date('2025-01-01') });
  assert.ok(r.suppressed.some((s) => s.finding.id === 'CVE-2024-0002'));
  assert.ok(
    r.findings.some((f) => f.id === 'CVE-2024-0001'),
    'a rule for another id does not hide it',
  );
});

test('ignore file errors are one line and name file and line', () => {
  assert.throws(() => parseIgnoreFile('rules:\n  - id: CVE-1\n', 'x.yaml'), /x\.yaml:2: every rule needs a 'reason'/);
  assert.throws(() => parseIgnoreFile('rules:\n  - reason: r\n', 'x.yaml'), /at least one of id, package, path/);
  assert.throws(
    () => parseIgnoreFile('rules:\n  - id: A\n    reason: r\n    expires: soon\n', 'x.yaml'),
    /'expires' must be a date/,
  );
  assert.throws(() => parseIgnoreFile('rules:\n  - id: A\n    reason: r\n    cve: B\n', 'x.yaml'), /unknown key 'cve'/);
  assert.throws(() => parseIgnoreFile('rules: [', 'x.yaml'), /x\.yaml: not valid YAML/);
});

test('OpenVEX not_affected suppresses with justification; later statements win; affected does not', () => {
  const doc = {
    '@context': 'https://openvex.dev/ns/v0.2.0',
    '@id': 'https://example.com/vex/1',
    author: 'platform',
    timestamp: '2025-01-01T00:00:00Z',
    version: 1,
    statements: [
      {
        vulnerability: { name: 'CVE-2024-0001' },
        products: [{ '@id': 'pkg:deb/debian/openssl@3.0.11-1~deb12u2?distro=debian-12' }],
        status: 'not_affected',
        justification: 'vulnerable_code_not_in_execute_path',
        timestamp: '2025-01-01T00:00:00Z',
      },
      {
        vulnerability: { name: 'GHSA-aaaa-bbbb-cccc' },
        products: [{ '@id': 'pkg:oci/ml@sha256%3Aabc', subcomponents: [{ '@id': 'pkg:pypi/torch@2.1.0' }] }],
        status: 'not_affected',
        justification: 'component_not_present',
      },
      {
        vulnerability: { name: 'CVE-2024-0002' },
        products: [{ '@id': 'pkg:deb/debian/openssl' }],
        status: 'not_affected',
        justification: 'inline_mitigations_already_exist',
        timestamp: '2025-01-01T00:00:00Z',
      },
      {
        vulnerability: { name: 'CVE-2024-0002' },
        products: [{ '@id': 'pkg:deb/debian/openssl' }],
        status: 'affected',
        timestamp: '2025-02-01T00:00:00Z',
      },
    ],
  };
  const vex = parseOpenVex(doc, 'vex.json');
  const r = applyPolicy(all, { vex, imageIds: ['sha256:abc'] });
  const s1 = r.suppressed.find((s) => s.finding.id === 'CVE-2024-0001');
  assert.equal(s1?.by, 'vex');
  assert.match(s1!.reason, /vulnerable_code_not_in_execute_path/);
  assert.ok(
    r.suppressed.some((s) => s.finding.id === 'CVE-2024-9999'),
    'statement by alias about the image subcomponent',
  );
  assert.ok(
    r.findings.some((f) => f.id === 'CVE-2024-0002'),
    'the later affected statement wins',
  );
  assert.throws(
    () => parseOpenVex({ statements: [{ vulnerability: 'X', products: ['p'], status: 'maybe' }] }, 'v.json'),
    /unknown status 'maybe'/,
  );
});

test('ignore-unfixed, severity filter and fail-on', () => {
  const r = applyPolicy(all, { ignoreUnfixed: true });
  assert.deepEqual(r.findings.map((f) => f.id).sort(), ['CVE-2024-0001', 'CVE-2024-9999']);
  assert.ok(r.suppressed.every((s) => s.by === 'ignore-unfixed'));
  const sev = applyPolicy(all, { severities: ['critical', 'high'], failOn: 'high' });
  assert.deepEqual(sev.findings.map((f) => f.id).sort(), ['CVE-2024-0001', 'CVE-2024-0053']);
  assert.equal(sev.passed, false);
  assert.equal(applyPolicy(all, { severities: ['low'], failOn: 'high' }).passed, true);
  assert.equal(
    applyPolicy(all, { failOn: 'critical', ignoreRules: parseIgnoreFile(rulesYaml, 'i'), driverVersion: '560.1' })
      .passed,
    true,
  );
});

test('driver conditions', () => {
  assert.equal(driverSatisfies('550.54.15', '>=550.54.15'), true);
  assert.equal(driverSatisfies('550.54.14', '>=550.54.15'), false);
  assert.equal(driverSatisfies('535.104.05', '>=535.104.05, <540'), true);
  assert.equal(driverSatisfies('545.23.08', '>=535.104.05, <540'), false);
  assert.throws(() => driverSatisfies('550', 'newer than 5'), /driver condition/);
});
