import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AffectedRange } from '../core/advisory.ts';
import { InputError } from '../core/errors.ts';
import { affectedBy } from './range.ts';
import { createPep440Scheme } from './pep440.ts';
import { createDpkgScheme } from './dpkg.ts';
import { createSemverScheme } from './semver.ts';

const pep440 = createPep440Scheme();
const dpkg = createDpkgScheme();
const eco = (...events: AffectedRange['events']): AffectedRange => ({ type: 'ECOSYSTEM', events });

test('range: OSV schema semantics', () => {
  type Row = [string, string, AffectedRange[], string[], boolean, string[]];
  const table: Row[] = [
    ['introduced 0 / fixed', '1.2.2', [eco({ introduced: '0' }, { fixed: '1.2.3' })], [], true, ['1.2.3']],
    ['at the fix', '1.2.3', [eco({ introduced: '0' }, { fixed: '1.2.3' })], [], false, []],
    ['below introduced', '0.9', [eco({ introduced: '1.0' }, { fixed: '1.2.3' })], [], false, []],
    ['at introduced', '1.0', [eco({ introduced: '1.0' }, { fixed: '1.2.3' })], [], true, ['1.2.3']],
    ['last_affected inclusive', '2.0', [eco({ introduced: '1.0' }, { last_affected: '2.0' })], [], true, []],
    ['after last_affected', '2.0.1', [eco({ introduced: '1.0' }, { last_affected: '2.0' })], [], false, []],
    ['open ended', '99', [eco({ introduced: '1.0' })], [], true, []],
    // several intervals in one range, events unsorted
    [
      'second interval',
      '2.5',
      [eco({ fixed: '3.0' }, { introduced: '2.0' }, { fixed: '1.5' }, { introduced: '1.0' })],
      [],
      true,
      ['3.0'],
    ],
    [
      'between intervals',
      '1.7',
      [eco({ fixed: '3.0' }, { introduced: '2.0' }, { fixed: '1.5' }, { introduced: '1.0' })],
      [],
      false,
      [],
    ],
    [
      'multiple ranges',
      '5.1',
      [eco({ introduced: '0' }, { fixed: '4.0' }), eco({ introduced: '5.0' }, { fixed: '5.2' })],
      [],
      true,
      ['5.2'],
    ],
    ['limit caps the range', '3.0', [eco({ introduced: '0' }, { limit: '2.0' })], [], false, []],
    ['below the limit', '1.0', [eco({ introduced: '0' }, { limit: '2.0' })], [], true, []],
    ['explicit versions', '1.1', [], ['1.0', '1.1'], true, []],
    ['explicit versions, normalised equal', '1.1.0', [], ['1.0', '1.1'], true, []],
    ['not listed', '1.2', [], ['1.0', '1.1'], false, []],
    ['pre-release before the fix', '1.2.3rc1', [eco({ introduced: '0' }, { fixed: '1.2.3' })], [], true, ['1.2.3']],
    ['GIT ranges are not evaluated', '1.0', [{ type: 'GIT', events: [{ introduced: '0' }] }], [], false, []],
  ];
  for (const [name, v, ranges, versions, affected, fixed] of table) {
    const r = affectedBy(pep440, v, { ranges, versions });
    assert.equal(r.affected, affected, name);
    assert.deepEqual(r.fixed, fixed, name);
    assert.equal(r.matched !== undefined, affected, name);
  }
});

test('range: readable matched range', () => {
  assert.equal(
    affectedBy(pep440, '1.1', { ranges: [eco({ introduced: '1.0' }, { fixed: '1.2.3' })], versions: [] }).matched,
    '>=1.0 <1.2.3',
  );
  assert.equal(
    affectedBy(pep440, '1.1', { ranges: [eco({ introduced: '0' }, { last_affected: '1.1' })], versions: [] }).matched,
    '>=0 <=1.1',
  );
  assert.equal(affectedBy(pep440, '1.1', { ranges: [], versions: ['1.0', '1.1'] }).matched, 'versions: [1.0, 1.1]');
});

test('range: SEMVER type uses semver, ECOSYSTEM the given scheme', () => {
  // dpkg: 1.0~rc1 < 1.0 ; semver has no '~'
  assert.equal(
    affectedBy(dpkg, '1.0~rc1', { ranges: [eco({ introduced: '0' }, { fixed: '1.0' })], versions: [] }).affected,
    true,
  );
  const semverRange: AffectedRange = { type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.10.0' }] };
  // under pep440 and semver alike 1.9.0 < 1.10.0; but a SEMVER range must reject a non-semver version
  assert.equal(affectedBy(pep440, '1.9.0', { ranges: [semverRange], versions: [] }).affected, true);
  assert.throws(() => affectedBy(pep440, '1.9.0.post1', { ranges: [semverRange], versions: [] }), InputError);
  assert.equal(affectedBy(createSemverScheme(), 'v1.10.0', { ranges: [semverRange], versions: [] }).affected, false);
});

test('range: CPE type with NVD bounds', () => {
  const cpe = (...events: AffectedRange['events']): AffectedRange => ({ type: 'CPE', events });
  const r = affectedBy(dpkg, '535.54.03', {
    ranges: [cpe({ introduced: '535' }, { fixed: '535.129.03' })],
    versions: [],
  });
  assert.deepEqual(r, { affected: true, matched: '>=535 <535.129.03', fixed: ['535.129.03'] });
  assert.equal(
    affectedBy(dpkg, '12.4', { ranges: [cpe({ introduced: '0' }, { last_affected: '12.4' })], versions: [] }).affected,
    true,
  );
  assert.equal(
    affectedBy(dpkg, '12.5', { ranges: [cpe({ introduced: '0' }, { last_affected: '12.4' })], versions: [] }).affected,
    false,
  );
  // start excluding, as the NVD importer writes it: `>v`
  const ex = { ranges: [cpe({ introduced: '>11.0' }, { fixed: '12.0' })], versions: [] };
  assert.equal(affectedBy(dpkg, '11.0', ex).affected, false);
  assert.deepEqual(affectedBy(dpkg, '11.0.1', ex), { affected: true, matched: '>11.0 <12.0', fixed: ['12.0'] });
});

test('range: an unparsable installed version throws InputError', () => {
  assert.throws(
    () => affectedBy(pep440, 'x.y.z-foo', { ranges: [eco({ introduced: '0' }, { fixed: '1.0' })], versions: [] }),
    { message: "pep440: invalid version 'x.y.z-foo'" },
  );
});
