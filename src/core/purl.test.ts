import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePurl } from './purl.ts';

test('parsePurl: parts of a purl as plain data, percent-decoded, type in lower case', () => {
  assert.deepEqual(parsePurl('pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12'), {
    type: 'deb',
    namespace: 'debian',
    name: 'libssl3',
    version: '3.0.11-1~deb12u2',
    qualifiers: { arch: 'amd64', distro: 'debian-12' },
  });
  assert.deepEqual(parsePurl('pkg:PYPI/torch@2.3.0%2Bcu121'), {
    type: 'pypi',
    name: 'torch',
    version: '2.3.0+cu121',
    qualifiers: {},
  });
});

test('parsePurl: not a purl → undefined', () => {
  for (const bad of ['', 'deb/debian/x', 'pkg:', 'https://example.com/x']) assert.equal(parsePurl(bad), undefined, bad);
});
