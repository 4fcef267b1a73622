import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../core/errors.ts';
import { compareCpeVersion, cpeRangeMatch, describeCpeRange, type CpeRange } from './cpe.ts';

test('cpe: NVD version ordering', () => {
  const table: [string, string, -1 | 0 | 1][] = [
    ['535.54.03', '535.104.05', -1], // numeric, not text
    ['12.4', '12.4.0', 0],
    ['1.0.2k', '1.0.2', 1],
    ['1.0.2k', '1.0.2m', -1],
    ['8.9.7.29', '8.9.7', 1],
    ['10.0', '9.9.9', 1],
    ['2.0.beta', '2.0.1', -1],
    ['R470', 'r470', 0],
  ];
  for (const [a, b, r] of table) {
    assert.equal(compareCpeVersion(a, b), r, `${a} vs ${b}`);
    assert.equal(compareCpeVersion(b, a), (0 - r || 0) as -1 | 0 | 1, `${b} vs ${a}`);
  }
  assert.throws(() => compareCpeVersion('12.4 update 1', '1'), InputError);
});

test('cpe: range bounds as in NVD cpeMatch', () => {
  const table: [string, CpeRange, boolean][] = [
    ['12.3', { versionEndExcluding: '12.4' }, true],
    ['12.4', { versionEndExcluding: '12.4' }, false],
    ['12.4', { versionEndIncluding: '12.4' }, true],
    ['12.4.1', { versionEndIncluding: '12.4' }, false],
    ['535.54.03', { versionStartIncluding: '535', versionEndExcluding: '535.129.03' }, true],
    ['535.129.03', { versionStartIncluding: '535', versionEndExcluding: '535.129.03' }, false],
    ['530.1', { versionStartIncluding: '535', versionEndExcluding: '535.129.03' }, false],
    ['11.0', { versionStartExcluding: '11.0' }, false],
    ['11.0.1', { versionStartExcluding: '11.0' }, true],
    ['8.9.0', { exact: '8.9.0' }, true],
    ['8.9.1', { exact: '8.9.0' }, false],
    ['8.9.1', { exact: '*' }, true], // every version
    ['8.9.1', {}, false], // no bound and no wildcard: nothing
  ];
  for (const [v, r, want] of table) assert.equal(cpeRangeMatch(v, r), want, `${v} in ${describeCpeRange(r)}`);
  assert.equal(describeCpeRange({ versionStartIncluding: '1.0', versionEndExcluding: '2.0' }), '>=1.0 <2.0');
});
