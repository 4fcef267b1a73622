// Importers other than OSV, against real feed data from the shared corpus (and, where the corpus has no sample,
// records written here in the upstream format).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { corpusPath, corpusSkip } from '../../test/support/corpus.ts';
import { importSources, detectKind } from './import.ts';
import { openStore } from './store.ts';

const dir = mkdtempSync(join(tmpdir(), 'zerocve-sources-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const T = 'conformance/grype/grype/db/v6/build/transformers';

// The tracker JSON format (security-tracker.debian.org/tracker/data/json); values of real entries.
const TRACKER = {
  openssl: {
    'CVE-2021-3450': {
      description: 'The X509_V_FLAG_X509_STRICT flag …',
      scope: 'remote',
      releases: {
        bullseye: {
          status: 'resolved',
          repositories: { bullseye: '1.1.1n-0+deb11u5' },
          fixed_version: '1.1.1k-1',
          urgency: 'not yet assigned',
        },
        buster: {
          status: 'resolved',
          repositories: { buster: '1.1.1n-0+deb10u3' },
          fixed_version: '0',
          urgency: 'not yet assigned',
        },
        sid: {
          status: 'resolved',
          repositories: { sid: '3.0.11-1' },
          fixed_version: '1.1.1k-1',
          urgency: 'not yet assigned',
        },
      },
    },
    'CVE-2023-0464': {
      description: 'A security vulnerability … policy constraints',
      scope: 'remote',
      releases: {
        bookworm: {
          status: 'open',
          repositories: { bookworm: '3.0.9-1' },
          urgency: 'low',
          nodsa: 'Minor issue',
          nodsa_reason: '',
        },
        bullseye: {
          status: 'open',
          repositories: { bullseye: '1.1.1n-0+deb11u4' },
          urgency: 'low**',
          nodsa: 'Minor issue',
          nodsa_reason: 'postponed',
        },
        buster: { status: 'open', repositories: { buster: '1.1.1n-0+deb10u3' }, urgency: 'end-of-life' },
      },
    },
  },
  curl: {
    'CVE-2023-0464': {
      description: 'not really curl',
      releases: { bookworm: { status: 'undetermined', urgency: 'unimportant', repositories: {} } },
    },
    'TEMP-0000000-ABCDEF': {
      releases: {
        trixie: {
          status: 'open',
          nodsa: 'ignored for now',
          nodsa_reason: 'ignored',
          urgency: 'medium',
          repositories: {},
        },
      },
    },
  },
};

test('Debian tracker JSON (plain and gzip): fix states, notes, urgencies and releases', async () => {
  const plain = join(dir, 'tracker.json');
  writeFileSync(plain, JSON.stringify(TRACKER, null, 1));
  const gz = join(dir, 'tracker.json.gz');
  writeFileSync(gz, gzipSync(Buffer.from(JSON.stringify(TRACKER))));
  assert.equal(detectKind(plain), 'debian');
  for (const p of [plain, gz]) {
    const db = join(dir, `${p.endsWith('gz') ? 'gz' : 'plain'}.db`);
    const sum = await importSources(db, [{ kind: 'debian', path: p }]);
    assert.equal(sum.sources[0].source, 'debian-tracker');
    assert.equal(sum.sources[0].problemCount, 0);
    const s = openStore(db);
    try {
      assert.deepEqual(
        s.advisoriesFor('Debian:10', 'openssl').map((a) => [a.id, a.affected[0].fixState, a.affected[0].statusNote]),
        [['CVE-2023-0464', 'end-of-life', 'end-of-life']],
      );
      const b11 = s.advisoriesFor('Debian:11', 'openssl');
      assert.deepEqual(
        b11.map((a) => a.id),
        ['CVE-2021-3450', 'CVE-2023-0464'],
      );
      assert.deepEqual(b11[0].affected[0].ranges, [
        { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.1.1k-1' }] },
      ]);
      assert.equal(b11[0].affected[0].fixState, 'fixed');
      assert.deepEqual(
        [b11[1].affected[0].fixState, b11[1].affected[0].statusNote, b11[1].affected[0].severity],
        ['not-fixed', 'postponed: Minor issue', 'low'],
      );
      const b12 = s.advisoriesFor('Debian:12', 'openssl')[0].affected[0];
      assert.deepEqual([b12.fixState, b12.statusNote, b12.severity], ['wont-fix', 'no-dsa: Minor issue', 'low']);
      const curl = s.advisoriesFor('Debian:12', 'curl')[0].affected[0];
      assert.deepEqual([curl.fixState, curl.severity], ['unknown', 'negligible']);
      assert.equal(s.advisoriesFor('Debian:13', 'curl')[0].affected[0].fixState, 'wont-fix');
      // one advisory per CVE, with the entries of every package
      const one = s.advisoriesById('CVE-2023-0464');
      assert.equal(one.length, 1);
      assert.deepEqual(one[0].affected.map((a) => `${a.ecosystem}/${a.name}`).sort(), [
        'Debian:10/openssl',
        'Debian:11/openssl',
        'Debian:12/curl',
        'Debian:12/openssl',
      ]);
      assert.deepEqual(s.advisoriesFor('Debian:sid', 'openssl'), []);
    } finally {
      s.close();
    }
  }
});

test('a truncated tracker JSON is a reported problem, not a crash', async () => {
  const p = join(dir, 'trunc.json');
  const text = JSON.stringify(TRACKER);
  writeFileSync(p, text.slice(0, text.indexOf('"curl"') + 30));
  const sum = await importSources(join(dir, 'trunc.db'), [{ kind: 'debian', path: p }]);
  assert.equal(sum.sources[0].problemCount, 1);
  assert.match(sum.sources[0].problems[0].message, /truncated|after 1 packages/);
  assert.equal(sum.sources[0].advisories, 2, 'the complete openssl entry still imports');
});

test(
  'Debian DSA and DLA lists give fixed versions per release',
  { skip: corpusSkip('vulndata/debian-security-tracker/data/DSA/list') },
  async () => {
    const list = corpusPath('vulndata/debian-security-tracker/data/DSA/list') as string;
    const db = join(dir, 'dsa.db');
    const sum = await importSources(db, [list]);
    assert.equal(sum.sources[0].source, 'debian-dsa');
    const text = readFileSync(list, 'utf8');
    assert.ok(sum.sources[0].advisories > 1000, String(sum.sources[0].advisories));
    const s = openStore(db);
    try {
      // the first entry of the list, read here independently
      const m = /^\[[^\]]+\] (DSA-[\d-]+) (\S+)[^\n]*\n\t\{([^}]*)\}\n\t\[(\w+)\] - (\S+) (\S+)/m.exec(text)!;
      const rel = { bookworm: '12', bullseye: '11', buster: '10', stretch: '9' }[m[4]] as string;
      const got = s.advisoriesFor(`Debian:${rel}`, m[5]).find((a) => a.id === m[1]);
      assert.ok(got, m[1]);
      assert.deepEqual(got.aliases, m[3].split(' '));
      assert.deepEqual(got.affected[0].ranges[0].events, [{ introduced: '0' }, { fixed: m[6] }]);
    } finally {
      s.close();
    }
  },
);

test(
  'Alpine secdb YAML: secfixes become fixed ranges per release; version 0 and unreadable ids are handled',
  { skip: corpusSkip('vulndata/alpine-secdb/v3.10/main.yaml') },
  async () => {
    const file = corpusPath('vulndata/alpine-secdb/v3.10/main.yaml') as string;
    const db = join(dir, 'alpine.db');
    const sum = await importSources(db, [file]);
    assert.equal(sum.sources[0].kind, 'alpine-secdb');
    const doc = parseYaml(readFileSync(file, 'utf8')) as {
      packages: { pkg: { name: string; secfixes?: Record<string, string[]> } }[];
    };
    const s = openStore(db);
    try {
      for (const { pkg } of doc.packages.slice(0, 40)) {
        for (const [ver, ids] of Object.entries(pkg.secfixes ?? {})) {
          for (const id of ids ?? []) {
            const cve = /^CVE-\d{4}-\d+/.exec(id)?.[0];
            if (!cve || ver === '0') continue;
            const adv = s.advisoriesFor('Alpine:v3.10', pkg.name).find((a) => a.id === cve);
            assert.ok(adv, `${pkg.name} ${cve}`);
            assert.ok(
              adv.affected.some((a) => a.ranges[0].events.some((e) => 'fixed' in e && e.fixed === ver)),
              `${pkg.name} ${cve} fixed ${ver}`,
            );
          }
        }
      }
    } finally {
      s.close();
    }
  },
);

test(
  'Wolfi advisories YAML: the latest event decides; false positives are not affected',
  { skip: corpusSkip('vulndata/wolfi-advisories-apache2-2025-05-07') },
  async () => {
    const all = corpusPath('vulndata/wolfi-advisories-apache2-2025-05-07') as string;
    // a slice of the tree (the whole one is the benchmark's business)
    const d = join(dir, 'wolfi');
    mkdirSync(d);
    for (const n of readdirSync(all)
      .filter((x) => x.endsWith('.advisories.yaml'))
      .slice(0, 60))
      copyFileSync(join(all, n), join(d, n));
    const db = join(dir, 'wolfi.db');
    const sum = await importSources(db, [d]);
    assert.equal(sum.sources[0].source, 'wolfi');
    assert.equal(sum.sources[0].problemCount, 0);
    const s = openStore(db);
    try {
      const doc = parseYaml(readFileSync(join(d, 'aactl.advisories.yaml'), 'utf8')) as {
        advisories: {
          id: string;
          aliases: string[];
          events: { type: string; timestamp: string | Date; data?: Record<string, string> }[];
        }[];
      };
      const got = s.advisoriesFor('Wolfi', 'aactl');
      for (const a of doc.advisories) {
        const last = [...a.events]
          .sort((x, y) =>
            String(x.timestamp instanceof Date ? x.timestamp.toISOString() : x.timestamp).localeCompare(
              String(y.timestamp instanceof Date ? y.timestamp.toISOString() : y.timestamp),
            ),
          )
          .at(-1)!;
        const adv = got.find((g) => g.id === a.id);
        if (last.type === 'false-positive-determination') {
          assert.equal(adv, undefined, a.id);
          continue;
        }
        assert.ok(adv, a.id);
        assert.deepEqual(adv.aliases, a.aliases);
        if (last.type === 'fixed')
          assert.deepEqual(adv.affected[0].ranges[0].events[1], { fixed: last.data!['fixed-version'] });
        else assert.notEqual(adv.affected[0].fixState, 'fixed');
      }
      assert.ok(
        s.advisoriesById('CVE-2024-45341').some((a) => a.id === 'CGA-296v-fx37-w4p4'),
        'aliases find the CGA advisory',
      );
    } finally {
      s.close();
    }
  },
);

test(
  'NVD 2.0 records give CVSS enrichment; KEV and EPSS give their fields',
  { skip: corpusSkip(`${T}/nvd/testdata`) },
  async () => {
    const db = join(dir, 'enrich.db');
    const nvdDir = corpusPath(`${T}/nvd/testdata`) as string;
    const epssCsv = join(dir, 'epss.csv.gz');
    writeFileSync(
      epssCsv,
      gzipSync(
        '#model_version:v2025.03.14,score_date:2025-02-18T12:55:00Z\ncve,epss,percentile\n' +
          'CVE-2025-0108,0.32800,0.99290\nCVE-2021-1566,0.00100,0.10000\nbroken,row\n',
      ),
    );
    const sum = await importSources(db, [nvdDir, corpusPath(`${T}/kev/testdata/go-case.json`) as string, epssCsv]);
    assert.deepEqual(
      sum.sources.map((x) => x.source),
      [`nvd:${resolve(nvdDir)}`, 'kev', 'epss'],
      'NVD is partitioned (yearly files): an offline input is named after its path',
    );
    assert.equal(sum.sources[2].problemCount, 1);
    assert.equal(sum.sources[2].snapshot, '2025-02-18T12:55:00Z');
    const s = openStore(db);
    try {
      const rec = JSON.parse(readFileSync(join(nvdDir, 'cve-2021-1566.json'), 'utf8')) as {
        cve: { id: string; metrics: Record<string, { cvssData: { vectorString: string; baseScore: number } }[]> };
      };
      const e = s.enrichment(rec.cve.id)!;
      const want = Object.values(rec.cve.metrics)
        .flat()
        .map((m) => `${m.cvssData.vectorString}=${m.cvssData.baseScore}`)
        .sort();
      assert.deepEqual(e.cvss.map((c) => `${c.vector}=${c.score}`).sort(), want);
      assert.deepEqual(e.epss, { score: 0.001, percentile: 0.1, date: '2025-02-18' });
      const kev = JSON.parse(readFileSync(corpusPath(`${T}/kev/testdata/go-case.json`) as string, 'utf8')) as {
        cveID: string;
        dateAdded: string;
        dueDate: string;
      };
      assert.deepEqual(s.enrichment(kev.cveID)!.kev, {
        dateAdded: kev.dateAdded,
        dueDate: kev.dueDate,
        knownRansomware: false,
      });
      assert.equal(s.enrichment(kev.cveID)!.epss!.score, 0.328);
      assert.equal(s.enrichment('CVE-1999-0000'), undefined);
    } finally {
      s.close();
    }
  },
);

test('NVD NVIDIA CPE configurations become NVIDIA affected entries with the documented CPE encoding', async () => {
  // NVD API 2.0 response shape, CVE-2024-0132 (NVIDIA Container Toolkit) plus a driver CPE with every bound kind
  const page = {
    resultsPerPage: 1,
    startIndex: 0,
    totalResults: 1,
    format: 'NVD_CVE',
    version: '2.0',
    timestamp: '2025-01-01T00:00:00.000',
    vulnerabilities: [
      {
        cve: {
          id: 'CVE-2024-0132',
          sourceIdentifier: 'psirt@nvidia.com',
          published: '2024-09-26T06:15:02.397',
          lastModified: '2024-10-04T13:51:25.567',
          vulnStatus: 'Analyzed',
          descriptions: [
            { lang: 'en', value: 'NVIDIA Container Toolkit 1.16.1 or earlier contains a TOCTOU vulnerability.' },
          ],
          metrics: {
            cvssMetricV31: [
              {
                source: 'psirt@nvidia.com',
                type: 'Secondary',
                cvssData: {
                  version: '3.1',
                  vectorString: 'CVSS:3.1/AV:N/AC:H/PR:L/UI:R/S:C/C:H/I:H/A:H',
                  baseScore: 8.3,
                  baseSeverity: 'HIGH',
                },
              },
            ],
          },
          configurations: [
            {
              nodes: [
                {
                  operator: 'OR',
                  negate: false,
                  cpeMatch: [
                    {
                      vulnerable: true,
                      criteria: 'cpe:2.3:a:nvidia:container_toolkit:*:*:*:*:*:*:*:*',
                      versionEndExcluding: '1.16.2',
                      matchCriteriaId: 'A',
                    },
                    {
                      vulnerable: true,
                      criteria: 'cpe:2.3:a:nvidia:gpu_display_driver:*:*:*:*:*:*:*:*',
                      versionStartExcluding: '535.0',
                      versionEndIncluding: '535.183.01',
                      matchCriteriaId: 'B',
                    },
                    {
                      vulnerable: true,
                      criteria: 'cpe:2.3:a:nvidia:gpu_operator:24.6.1:*:*:*:*:*:*:*',
                      matchCriteriaId: 'C',
                    },
                    {
                      vulnerable: false,
                      criteria: 'cpe:2.3:o:linux:linux_kernel:-:*:*:*:*:*:*:*',
                      matchCriteriaId: 'D',
                    },
                  ],
                },
              ],
            },
          ],
          references: [{ url: 'https://nvidia.custhelp.com/app/answers/detail/a_id/5582', source: 'psirt@nvidia.com' }],
        },
      },
    ],
  };
  const p = join(dir, 'nvd-page.json');
  writeFileSync(p, JSON.stringify(page));
  assert.equal(detectKind(p), 'nvd');
  const db = join(dir, 'nvidia.db');
  await importSources(db, [p]);
  const s = openStore(db);
  try {
    const tk = s.advisoriesFor('NVIDIA', 'container_toolkit');
    assert.equal(tk.length, 1);
    assert.deepEqual(tk[0].affected[0].ranges, [{ type: 'CPE', events: [{ introduced: '0' }, { fixed: '1.16.2' }] }]);
    assert.equal(tk[0].cvss[0].score, 8.3);
    assert.deepEqual(s.advisoriesFor('NVIDIA', 'gpu_display_driver')[0].affected[0].ranges[0].events, [
      { introduced: '>535.0' },
      { last_affected: '535.183.01' },
    ]);
    const op = s.advisoriesFor('NVIDIA', 'gpu_operator')[0].affected[0];
    assert.deepEqual([op.ranges, op.versions], [[], ['24.6.1']]);
    assert.deepEqual(s.advisoriesFor('NVIDIA', 'linux_kernel'), []);
  } finally {
    s.close();
  }
});
