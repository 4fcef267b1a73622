// zerocve's own image, built by zerocve (scripts/build-image.sh → `zerocve build deploy/image.yaml`): it runs
// zerocve as nonroot from a root with no shell and no package manager, and `zerocve scan` of it is what the README
// quotes (size, packages, findings).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, zerocve } from './support.ts';
import { fixtureSkip } from '../support/images.ts';
import { corpusPath, corpusSkip } from '../support/corpus.ts';
import { sandboxSkip, runInRoot } from '../../src/runtime/index.ts';

const run = promisify(execFile);

test(
  'zerocve builds its own image: Node 24 + zerocve, nonroot, no shell or package manager, SBOM attached; it runs',
  { skip: fixtureSkip() || sandboxSkip(), timeout: 1_200_000 },
  async (t) => {
    const work = mkdtempSync(join(tmpdir(), 'zc-own-image-'));
    try {
      const layout = join(work, 'layout');
      const root = join(work, 'root');
      const { stdout } = await run(
        'bash',
        [join(ROOT, 'scripts/build-image.sh'), `oci-dir:${layout}:latest`, '--keep-rootfs', root, '-f', 'json', '-q'],
        { cwd: ROOT, maxBuffer: 64 << 20 },
      );
      const built = JSON.parse(stdout) as { manifestDigest: string; sbom: { digest: string } };
      assert.match(built.manifestDigest, /^sha256:/);
      assert.ok(built.sbom.digest, 'the SBOM is attached as a referrer');
      for (const p of ['bin/sh', 'usr/bin/sh', 'bin/bash', 'usr/bin/apt', 'usr/bin/dpkg'])
        assert.equal(existsSync(join(root, p)), false, `${p} is not in the image`);
      const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
      const ran = await runInRoot(root, ['/usr/local/bin/node', '/opt/zerocve/bin/zerocve.js', '--version']);
      assert.equal(ran.exitCode, 0, ran.stderr);
      assert.match(ran.stdout, new RegExp(version.replaceAll('.', '\\.')));
      const scan = await zerocve(['scan', `oci-dir:${layout}:latest`, '--allow-no-db', '-q', '-f', 'json']);
      assert.equal(scan.code, 0, scan.stderr);
      const s = JSON.parse(scan.stdout) as {
        image: { config: { user?: string } };
        surface: { shells: string[]; packageManagers: string[]; user: { root: boolean }; totalBytes: number };
        inventory: { packages: { type: string }[] };
      };
      assert.deepEqual(s.surface.shells, []);
      assert.deepEqual(s.surface.packageManagers, []);
      assert.equal(s.surface.user.root, false);
      assert.equal(s.image.config.user, '65532:65532');
      const debs = s.inventory.packages.filter((p) => p.type === 'deb').length;
      assert.ok(debs > 5 && debs < 80, `${debs} Debian packages: the minbase prod remainder, not a full system`);
      t.diagnostic(`own image: ${debs} Debian packages, ${(s.surface.totalBytes / 1e6).toFixed(0)} MB`);

      // its findings against the advisory data available offline (the corpus: Debian's DSA and DLA lists, a GitHub
      // advisory sample with npm packages) — the figures the README quotes, gated at high
      const lists = ['DSA', 'DLA'].map((l) => `vulndata/debian-security-tracker/data/${l}/list`);
      const noData = corpusSkip(lists[0]) || corpusSkip(lists[1]) || corpusSkip('vulndata/ghsa-sample');
      if (noData) {
        t.diagnostic(`findings not measured: ${noData}`);
        return;
      }
      const db = join(work, 'vuln.db');
      const imp = await zerocve(
        ['db', 'import', '--db', db, '-q', ...lists.map((l) => corpusPath(l)!)].concat([
          corpusPath('vulndata/ghsa-sample')!,
        ]),
      );
      assert.equal(imp.code, 0, imp.stderr);
      const gated = await zerocve(
        ['scan', `oci-dir:${layout}:latest`, '--db', db, '--offline', '--fail-on', 'high'].concat(['-q', '-f', 'json']),
      );
      assert.equal(gated.code, 0, `a finding at or above high in zerocve's own image:\n${gated.stdout.slice(0, 4000)}`);
      const g = JSON.parse(gated.stdout) as {
        findings: { severity: string }[];
        db: { sources: { name: string; advisories: number }[] };
      };
      assert.deepEqual(
        g.db.sources.map((x) => x.name).sort(),
        ['debian-dla', 'debian-dsa', `osv:${corpusPath('vulndata/ghsa-sample')}`].sort(),
      );
      assert.ok(g.db.sources.every((x) => x.advisories > 0));
      t.diagnostic(`own image against corpus advisories: ${g.findings.length} finding(s)`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
);
