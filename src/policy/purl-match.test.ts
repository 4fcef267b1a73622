import { test } from 'node:test';
import assert from 'node:assert/strict';
import { purlMatches } from './purl-match.ts';

const pkg = 'pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12.13';

test('purl matching tolerates the qualifier differences that break string comparison', () => {
  const rows: [string, string, boolean][] = [
    ['pkg:deb/debian/openssl@3.0.11-1~deb12u2?distro=debian-12', pkg, true],
    ['pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12', pkg, true],
    ['pkg:deb/debian/openssl@3.0.11-1~deb12u2', pkg, true],
    ['pkg:deb/debian/openssl', pkg, true],
    ['pkg:deb/debian/openssl@3.0.11-1~deb12u2?distro=debian-11', pkg, false],
    ['pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=arm64', pkg, false],
    ['pkg:deb/debian/openssl@3.0.11-1~deb12u3', pkg, false],
    ['pkg:deb/ubuntu/openssl@3.0.11-1~deb12u2', pkg, false],
    ['pkg:deb/debian/libssl3@3.0.11-1~deb12u2', pkg, false],
    ['pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=all', pkg, true],
    ['pkg:pypi/Pillow@10.0.0', 'pkg:pypi/pillow@10.0.0', true],
    ['pkg:pypi/typing_extensions@4.0.0', 'pkg:pypi/typing-extensions@4.0.0', true],
    ['pkg:deb/debian/bash@5.2.15-2?epoch=1', 'pkg:deb/debian/bash@1:5.2.15-2?arch=amd64', true],
    ['not a purl', pkg, false],
  ];
  for (const [pattern, purl, want] of rows) {
    const got = purlMatches(pattern, purl);
    assert.equal(got === true, want, `${pattern} vs ${purl}: ${got}`);
    if (!want) assert.equal(typeof got, 'string', 'a non-match explains itself');
  }
});
