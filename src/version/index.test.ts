import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schemeFor, schemeById } from './index.ts';

test('schemeFor: OSV ecosystems and package types', () => {
  const table: [string, string | undefined][] = [
    ['Debian:12', 'dpkg'],
    ['Ubuntu:22.04:LTS', 'dpkg'],
    ['deb', 'dpkg'],
    ['Alpine:v3.19', 'apk'],
    ['Wolfi', 'apk'],
    ['Chainguard', 'apk'],
    ['apk', 'apk'],
    ['Red Hat:enterprise_linux:9::appstream', 'rpm'],
    ['Rocky Linux:9', 'rpm'],
    ['AlmaLinux:8', 'rpm'],
    ['openSUSE:Tumbleweed', 'rpm'],
    ['SUSE:Linux Enterprise Server 15 SP5', 'rpm'],
    ['rpm', 'rpm'],
    ['PyPI', 'pep440'],
    ['python', 'pep440'],
    ['npm', 'semver'],
    ['Go', 'go'],
    ['golang', 'go'],
    ['cargo', 'semver'],
    ['maven', 'maven'],
    ['crates.io', 'semver'],
    ['conda', 'conda'],
    ['NVIDIA', 'cpe'],
    ['cuda', 'cpe'],
    ['Maven', 'maven'],
    ['Hackage', undefined],
    ['', undefined],
  ];
  for (const [eco, id] of table) assert.equal(schemeFor(eco)?.id, id, eco);
  assert.equal(schemeById('dpkg')?.compare('1.0~1', '1.0'), -1);
  assert.equal(schemeById('toString'), undefined);
});
