// Acceptance: Trivy's own integration suite (shared corpus, conformance/trivy). Trivy's fixture database
// (integration/testdata/fixtures/db/*.yaml, bucket layout `<release> → <package> → <advisory id>`, plus the
// `vulnerability` bucket of details) is converted into zerocve Advisories and built into a real zerocve SQLite
// store (src/vulndb); the vulnerable packages each golden report lists are matched with zerocve's matchers; for every
// OS and Python golden in scope zerocve must report the same vulnerability ids for the same packages, and the same
// fixed versions.
//
// Deliberate differences (and why they are out of scope here):
// - centos-*, ubi-7: Trivy matches Red Hat through OVAL entries keyed by CPE index and content sets (the `Red Hat`
//   and `Red Hat CPE` buckets); zerocve's rpm matcher reads per-release advisories (`Red Hat:<major>`) by source RPM,
//   so that fixture has no faithful conversion.
// - alpine-39-high-critical / -ignore-cveids / -skip and debian-buster-ignore-unfixed differ from their base golden
//   only by report filters (severity, ignore file, unfixed), which belong to src/policy, not to matching.
// - alpine-distroless: Trivy takes the Alpine release from /etc/apk/repositories (edge) when present; zerocve takes it
//   from os-release (3.16), whose fixture bucket has no git advisory.
// - Fixed versions are compared with a `0:` epoch dropped: Trivy's report omits a zero epoch (mariner-1.0).
// - Only OS and Python results are compared (fluentd-gems also has Ruby gems, not matched by zerocve).
// - Goldens carry binary package names only; Debian and Alpine advisories are per source package. BINARY_SOURCE
//   below gives the real source package of each binary met in these goldens (from the packages' `Source:` /
//   apk `o:` fields), as the inventory would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusSkip } from '../support/corpus.ts';
import {
  TRIVY_TESTDATA as ROOT,
  GOLDENS,
  inScope,
  dropZeroEpoch,
  goldenInventory,
  readGolden,
  buildTrivyFixtureDb,
} from '../support/trivy-fixture.ts';
import { openStore, type Store } from '../../src/vulndb/index.ts';
import { matchInventory } from '../../src/match/index.ts';

let dir = '';
let store: Store | undefined;

before(async () => {
  if (corpusSkip(`${ROOT}/fixtures/db`)) return;
  dir = mkdtempSync(join(tmpdir(), 'zerocve-trivy-'));
  await buildTrivyFixtureDb(join(dir, 'db.sqlite'));
  store = openStore(join(dir, 'db.sqlite'));
});
after(() => {
  store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

for (const name of GOLDENS) {
  const rel = `${ROOT}/${name}.json.golden`;
  test(`trivy golden ${name}: same vulnerabilities for the same packages`, { skip: corpusSkip(rel) }, async () => {
    const g = readGolden(name);
    const inv = goldenInventory(g);
    assert.ok(inv.packages.length > 0, `${name}: golden lists vulnerable packages`);
    const { findings, problems } = await matchInventory(inv, store!);
    assert.deepEqual(problems, [], `${name}: no problems`);
    const want = new Map<string, string>();
    for (const r of g.Results)
      for (const v of r.Vulnerabilities ?? []) {
        if (!inScope(r)) continue;
        want.set(`${v.PkgName}@${v.InstalledVersion} ${v.VulnerabilityID}`, v.FixedVersion ?? '');
      }
    const got = new Map<string, string>();
    for (const f of findings)
      got.set(`${f.package.name}@${f.installedVersion} ${f.id}`, dropZeroEpoch(f.fixedVersions.join(', ')));
    assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), `${name}: vulnerability ids`);
    for (const [k, fixed] of want) assert.equal(got.get(k), dropZeroEpoch(fixed), `${name}: fixed version of ${k}`);
  });
}
