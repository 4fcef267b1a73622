import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, kibToBytes } from './units.ts';

test('formatBytes: SI units, one decimal below 100, none above; ? for nonsense', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(999), '999 B');
  assert.equal(formatBytes(1500), '1.5 kB');
  assert.equal(formatBytes(47_100_000), '47.1 MB');
  assert.equal(formatBytes(123_456_789), '123 MB');
  assert.equal(formatBytes(2.5e12), '2.5 TB');
  assert.equal(formatBytes(-1), '?');
  assert.equal(formatBytes(Number.NaN), '?');
});

test('kibToBytes: dpkg Installed-Size (KiB) to bytes', () => {
  assert.equal(kibToBytes(46_000), 47_104_000);
  assert.equal(formatBytes(kibToBytes(46_000)), '47.1 MB');
});
