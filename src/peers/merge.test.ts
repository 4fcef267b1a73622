import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding } from '../core/finding.ts';
import type { Severity } from '../core/advisory.ts';
import type { PackageType } from '../core/package.ts';
import { mergePeerFindings, type PeerReport, type PeerFinding, type PeerComparison } from './index.ts';

// Findings as the matcher shapes them (only the fields the comparison reads vary).
function zf(
  id: string,
  name: string,
  version: string,
  o: { aliases?: string[]; type?: PackageType; fixed?: string[]; severity?: Severity } = {},
): Finding {
  const type = o.type ?? 'deb';
  return {
    id,
    aliases: o.aliases ?? [],
    installedVersion: version,
    fixedVersions: o.fixed ?? [],
    fixState: o.fixed?.length ? 'fixed' : 'not-fixed',
    package: {
      id: `${type}:${name}@${version}:/var/lib/dpkg/status`,
      type,
      name,
      version,
      purl: `pkg:${type}/${name}@${version}`,
      locations: [{ path: '/var/lib/dpkg/status', layer: 0 }],
    },
    severity: o.severity ?? 'high',
    severitySource: 'nvd',
    cvss: [],
    kev: false,
    references: [],
    evidence: [],
    kind: 'vulnerability',
  };
}
function pf(
  id: string,
  name: string,
  version: string,
  o: { aliases?: string[]; ecosystem?: string; fixed?: string[]; severity?: Severity } = {},
): PeerFinding {
  return {
    id,
    aliases: o.aliases ?? [],
    ecosystem: o.ecosystem ?? 'deb',
    name,
    version,
    severity: o.severity ?? 'high',
    fixedVersions: o.fixed ?? [],
    fixState: o.fixed?.length ? 'fixed' : 'not-fixed',
  };
}
const trivy = (...findings: PeerFinding[]): PeerReport => ({
  tool: 'trivy',
  path: 'trivy.json',
  repoDigests: [],
  findings,
});
const grype = (...findings: PeerFinding[]): PeerReport => ({
  tool: 'grype',
  path: 'grype.json',
  repoDigests: [],
  findings,
});
const brief = (c: PeerComparison): string[] =>
  c.rows
    .map(
      (r) =>
        `${r.id} ${r.package}@${r.version} [${r.reportedBy.join(',')}]${r.disagreement ? ` ${r.disagreement}` : ''}`,
    )
    .sort();

const CASES: { name: string; zerocve: Finding[]; peers: PeerReport[]; rows: string[] }[] = [
  {
    name: 'all three agree',
    zerocve: [zf('CVE-2019-1563', 'openssl', '1.1.0k-1~deb9u1', { fixed: ['1.1.0l-1~deb9u1'] })],
    peers: [
      trivy(pf('CVE-2019-1563', 'openssl', '1.1.0k-1~deb9u1', { fixed: ['1.1.0l-1~deb9u1'], aliases: ['DSA-4539-1'] })),
      grype(pf('CVE-2019-1563', 'openssl', '1.1.0k-1~deb9u1', { fixed: ['1.1.0l-1~deb9u1'] })),
    ],
    rows: ['CVE-2019-1563 openssl@1.1.0k-1~deb9u1 [zerocve,trivy,grype]'],
  },
  {
    name: 'GHSA id meets the CVE through zerocve aliases; Python names per PEP 503',
    zerocve: [
      zf('CVE-2019-14806', 'werkzeug', '0.11.1', {
        type: 'python',
        aliases: ['GHSA-gq9m-qvpx-68hc', 'PYSEC-2019-140'],
        fixed: ['0.15.3'],
      }),
    ],
    peers: [grype(pf('GHSA-gq9m-qvpx-68hc', 'Werkzeug', '0.11.1', { ecosystem: 'python', fixed: ['0.15.3'] }))],
    rows: ['CVE-2019-14806 werkzeug@0.11.1 [zerocve,grype]'],
  },
  {
    name: 'GHSA id meets through Grype relatedVulnerabilities; names with _ and . normalize',
    zerocve: [zf('GHSA-3p3h-qghp-hvh2', 'zope.interface', '4.0', { type: 'python', fixed: ['5.0'] })],
    peers: [
      grype(
        pf('CVE-2020-28724', 'Zope_Interface', '4.0', {
          ecosystem: 'python',
          aliases: ['GHSA-3p3h-qghp-hvh2'],
          fixed: ['5.0'],
        }),
      ),
    ],
    rows: ['CVE-2020-28724 zope.interface@4.0 [zerocve,grype]'],
  },
  {
    name: 'a DSA shared by two CVEs does not join them',
    zerocve: [
      zf('CVE-2019-1547', 'openssl', '1.1.0k-1', { aliases: ['DSA-4539-1'] }),
      zf('CVE-2019-1563', 'openssl', '1.1.0k-1', { aliases: ['DSA-4539-1'] }),
    ],
    peers: [trivy(pf('CVE-2019-1563', 'openssl', '1.1.0k-1', { aliases: ['DSA-4539-1'] }))],
    rows: ['CVE-2019-1547 openssl@1.1.0k-1 [zerocve] only zerocve', 'CVE-2019-1563 openssl@1.1.0k-1 [zerocve,trivy]'],
  },
  {
    name: 'a DSA-only peer finding never bridges two CVEs',
    zerocve: [
      zf('CVE-2019-1547', 'openssl', '1', { aliases: ['DSA-4539-1'] }),
      zf('CVE-2019-1563', 'openssl', '1', { aliases: ['DSA-4539-1'] }),
    ],
    peers: [trivy(pf('DSA-4539-1', 'openssl', '1'))],
    rows: ['CVE-2019-1547 openssl@1 [zerocve,trivy]', 'CVE-2019-1563 openssl@1 [zerocve] only zerocve'],
  },
  {
    name: 'a peer reporting only the DSA meets the CVE that carries it',
    zerocve: [zf('CVE-2019-18224', 'libidn2-0', '2.0.5-1', { aliases: ['DSA-4613-1'] })],
    peers: [trivy(pf('DSA-4613-1', 'libidn2-0', '2.0.5-1'))],
    rows: ['CVE-2019-18224 libidn2-0@2.0.5-1 [zerocve,trivy]'],
  },
  {
    name: 'different fixed versions (a zero epoch is not a difference)',
    zerocve: [zf('CVE-1', 'bash', '5.0-4', { fixed: ['5.0-5'] }), zf('CVE-2', 'bash', '5.0-4', { fixed: ['0:5.0-6'] })],
    peers: [trivy(pf('CVE-1', 'bash', '5.0-4'), pf('CVE-2', 'bash', '5.0-4', { fixed: ['5.0-6'] }))],
    rows: [
      'CVE-1 bash@5.0-4 [zerocve,trivy] fixed version: zerocve 5.0-5; trivy none',
      'CVE-2 bash@5.0-4 [zerocve,trivy]',
    ],
  },
  {
    name: 'different severity',
    zerocve: [zf('CVE-1', 'bash', '5.0-4', { severity: 'low' })],
    peers: [
      trivy(pf('CVE-1', 'bash', '5.0-4', { severity: 'medium' })),
      grype(pf('CVE-1', 'bash', '5.0-4', { severity: 'low' })),
    ],
    rows: ['CVE-1 bash@5.0-4 [zerocve,trivy,grype] severity: zerocve low, trivy medium, grype low'],
  },
  {
    name: 'installed version mismatch: one row, flagged',
    zerocve: [zf('CVE-1', 'curl', '7.64.0-4', { fixed: ['7.64.0-5'] })],
    peers: [trivy(pf('CVE-1', 'curl', '7.64.0-3', { fixed: ['7.64.0-5'] }))],
    rows: [
      'CVE-1 curl@7.64.0-4 [zerocve,trivy] installed version: zerocve 7.64.0-4, trivy 7.64.0-3 (a different ' +
        'image or database age?)',
    ],
  },
  {
    name: 'one package at two versions: the version a peer also saw pairs, the other is zerocve only',
    zerocve: [
      zf('CVE-1', 'urllib3', '1.26.0', { type: 'python' }),
      zf('CVE-1', 'urllib3', '2.0.5', { type: 'python' }),
    ],
    peers: [trivy(pf('CVE-1', 'urllib3', '2.0.5', { ecosystem: 'python' }))],
    rows: ['CVE-1 urllib3@1.26.0 [zerocve] only zerocve', 'CVE-1 urllib3@2.0.5 [zerocve,trivy]'],
  },
  {
    name: 'one tool only, missing from one, outside zerocve',
    zerocve: [zf('CVE-1', 'bash', '1'), zf('CVE-2', 'bash', '1')],
    peers: [
      trivy(pf('CVE-2', 'bash', '1'), pf('CVE-3', 'bash', '1'), pf('CVE-4', 'rack', '2.0', { ecosystem: 'gem' })),
      grype(pf('CVE-3', 'bash', '1')),
    ],
    rows: [
      'CVE-1 bash@1 [zerocve] only zerocve',
      'CVE-2 bash@1 [zerocve,trivy] not reported by grype',
      'CVE-3 bash@1 [trivy,grype] not reported by zerocve',
      'CVE-4 rack@2.0 [trivy] only trivy (zerocve does not match gem packages)',
    ],
  },
  {
    name: 'same name in two ecosystems stays apart',
    zerocve: [zf('CVE-1', 'requests', '2.0', { type: 'python' })],
    peers: [trivy(pf('CVE-1', 'requests', '2.0', { ecosystem: 'deb' }))],
    rows: ['CVE-1 requests@2.0 [trivy] only trivy', 'CVE-1 requests@2.0 [zerocve] only zerocve'],
  },
];

for (const c of CASES) {
  test(`merge: ${c.name}`, () => {
    const got = mergePeerFindings(c.zerocve, c.peers);
    assert.deepEqual(brief(got), [...c.rows].sort());
    const a = got.agreement;
    assert.equal(
      a.allAgree + a.allReportDiffer + a.onlyZerocve + a.onlyPeers + a.partial,
      got.rows.length,
      'agreement counts cover every row',
    );
    for (const t of got.totals) assert.equal(t.rows, got.rows.filter((r) => r.reportedBy.includes(t.tool)).length);
  });
}

test('merge: counts, kinds, per-tool severities and fixes, row fields', () => {
  const got = mergePeerFindings(
    [
      zf('CVE-1', 'bash', '1', { fixed: ['2'] }),
      zf('CVE-2', 'bash', '1', { severity: 'low' }),
      zf('CVE-5', 'bash', '1'),
    ],
    [
      trivy(
        pf('CVE-1', 'bash', '1', { fixed: ['2'] }),
        pf('CVE-2', 'bash', '1', { severity: 'medium' }),
        pf('CVE-3', 'bash', '1'),
      ),
      grype(pf('CVE-1', 'bash', '1', { fixed: ['2'] }), pf('CVE-2', 'bash', '1'), pf('CVE-4', 'bash', '1')),
    ],
  );
  assert.deepEqual(got.tools, ['zerocve', 'trivy', 'grype']);
  assert.deepEqual(got.agreement, { allAgree: 1, allReportDiffer: 1, onlyZerocve: 1, onlyPeers: 2, partial: 0 });
  assert.deepEqual(got.totals, [
    { tool: 'zerocve', findings: 3, rows: 3 },
    { tool: 'trivy', findings: 3, rows: 3 },
    { tool: 'grype', findings: 3, rows: 3 },
  ]);
  const r2 = got.rows.find((r) => r.id === 'CVE-2')!;
  assert.deepEqual(r2.severities, { zerocve: 'low', trivy: 'medium', grype: 'high' });
  assert.deepEqual(r2.kinds, ['severity']);
  const r1 = got.rows.find((r) => r.id === 'CVE-1')!;
  assert.deepEqual(r1.fixed, { zerocve: ['2'], trivy: ['2'], grype: ['2'] });
  assert.equal(r1.disagreement, undefined);
  assert.deepEqual(got.rows.find((r) => r.id === 'CVE-3')!.kinds, ['only-one']);
  assert.deepEqual(
    got.peers.map((p) => [p.tool, p.findings]),
    [
      ['trivy', 3],
      ['grype', 3],
    ],
  );
});

test('merge: non-vulnerability findings are left out; no peers means every row is zerocve alone', () => {
  const secret = { ...zf('secret:aws', '/app/.env', ''), kind: 'secret' as const };
  const got = mergePeerFindings([zf('CVE-1', 'bash', '1'), secret], []);
  assert.deepEqual(got.tools, ['zerocve']);
  assert.equal(got.rows.length, 1);
  assert.equal(got.rows[0].disagreement, undefined);
});

test(
  'merge: warnings for another image, outside ecosystems, ' + 'two reports of one tool; suppressed findings are named',
  () => {
    const got = mergePeerFindings(
      [],
      [
        { ...trivy(pf('CVE-1', 'bash', '1'), pf('CVE-9', 'rails', '4', { ecosystem: 'gem' })), imageId: 'sha256:aaaa' },
        { ...trivy(pf('CVE-1', 'bash', '1')), path: 'trivy2.json' },
      ],
      {
        image: { configDigest: 'sha256:bbbb' },
        suppressed: [{ finding: zf('CVE-1', 'bash', '1'), by: 'ignore-file', reason: 'accepted risk' }],
      },
    );
    assert.ok(
      got.warnings.some(
        (w) =>
          w.code === 'peer-other-image' &&
          w.path === 'trivy.json' &&
          w.message.includes('trivy.json is of image sha256:aaaa, zerocve scanned sha256:bbbb'),
      ),
      got.warnings.map((w) => w.message).join('\n'),
    );
    assert.ok(
      got.warnings.some(
        (w) =>
          w.code === 'peer-unmatched-ecosystem' && w.message.includes('gem packages, which zerocve does not match'),
      ),
    );
    assert.ok(
      got.warnings.some(
        (w) => w.code === 'peer-same-tool-twice' && w.message.startsWith('2 trivy reports (trivy.json, trivy2.json)'),
      ),
    );
    const bash = got.rows.find((r) => r.package === 'bash')!;
    assert.equal(bash.disagreement, 'only trivy; zerocve suppressed it (ignore-file: accepted risk)');
  },
);

test('merge: packages that every scanner saw at other versions are named in one warning', () => {
  const got = mergePeerFindings(
    [zf('CVE-1', 'curl', '7.64.0-4'), zf('CVE-2', 'bash', '5.0-4'), zf('CVE-3', 'zlib1g', '1:1.2.11')],
    [trivy(pf('CVE-9', 'curl', '7.64.0-3'), pf('CVE-2', 'bash', '5.0-4'), pf('CVE-3', 'zlib1g', '1:1.2.11'))],
  );
  assert.deepEqual(got.warnings, [
    {
      code: 'peer-version-mismatch',
      message:
        '1 package(s) at different installed versions per scanner — a different image or database age? curl ' +
        '(zerocve 7.64.0-4, trivy 7.64.0-3)',
    },
  ]);
  assert.deepEqual(
    mergePeerFindings([zf('CVE-2', 'bash', '5.0-4')], [trivy(pf('CVE-2', 'bash', '5.0-4'))]).warnings,
    [],
  );
});
