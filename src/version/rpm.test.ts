import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { corpusPath, corpusSkip } from '../../test/support/corpus.ts';
import { InputError } from '../core/errors.ts';
import { compareRpm, createRpmScheme, rpmvercmp } from './rpm.ts';

const VECTORS = 'version-vectors/rpm/rpmvercmp.tsv';

test('rpm: the rpm project rpmvercmp vectors', { skip: corpusSkip(VECTORS) }, () => {
  const rows = readFileSync(corpusPath(VECTORS)!, 'utf8').split('\n').filter(Boolean);
  assert.ok(rows.length >= 90);
  for (const row of rows) {
    const [a, b, r] = row.split('\t');
    assert.equal(rpmvercmp(a, b), Number(r), `${a} vs ${b}`);
  }
});

test('rpm: epoch, version and release', () => {
  const table: [string, string, -1 | 0 | 1][] = [
    ['1:1.0-1', '2.0-1', 1],
    ['0:1.0-1', '1.0-1', 0],
    ['1.0-1.el9', '1.0-2.el9', -1],
    ['1.0-1.el9_2', '1.0-1.el9', 1],
    ['3.0.7-16.el9_2', '3.0.7-24.el9', -1],
    ['2.0-1', '10.0-1', -1],
    ['1.0', '1.0-5', 0], // no release on one side: any release
    ['1.0~beta-1', '1.0-1', -1],
  ];
  for (const [a, b, r] of table) {
    assert.equal(compareRpm(a, b), r, `${a} vs ${b}`);
    assert.equal(compareRpm(b, a), (0 - r || 0) as -1 | 0 | 1, `${b} vs ${a}`);
  }
});

test('rpm: invalid versions', () => {
  const s = createRpmScheme();
  for (const bad of ['', 'x:1.0', '1.0 -1', '-1']) {
    assert.equal(s.valid(bad), false, bad);
    assert.throws(() => s.compare(bad, '1'), InputError, bad);
  }
});
