import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { corpusPath, corpusSkip } from '../../test/support/corpus.ts';
import { InputError } from '../core/errors.ts';
import { compareApk, createApkScheme } from './apk.ts';

const VECTORS = 'version-vectors/apk/version.data';

test('apk: the apk-tools version.data vectors', { skip: corpusSkip(VECTORS) }, () => {
  const rows = readFileSync(corpusPath(VECTORS)!, 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'));
  assert.ok(rows.length > 700);
  for (const row of rows) {
    const [a, op, b] = row.split(/\s+/);
    const want = ({ '<': -1, '=': 0, '>': 1 } as const)[op as '<' | '=' | '>'];
    assert.equal(compareApk(a, b), want, row);
  }
});

test('apk: suffix and revision order', () => {
  const chain = [
    '1.0_alpha',
    '1.0_alpha2',
    '1.0_beta',
    '1.0_pre',
    '1.0_rc1',
    '1.0',
    '1.0-r1',
    '1.0_cvs',
    '1.0_svn',
    '1.0_git',
    '1.0_hg',
    '1.0_p1',
    '1.0_p2-r3',
    '1.0a',
    '1.0b',
    '1.0.1',
    '1.1',
  ];
  for (let i = 0; i < chain.length; i++) {
    for (let j = 0; j < chain.length; j++) {
      assert.equal(compareApk(chain[i], chain[j]), Math.sign(i - j), `${chain[i]} vs ${chain[j]}`);
    }
  }
  assert.equal(compareApk('3.1.4-r5', '3.1.4-r10'), -1);
});

test('apk: invalid versions', () => {
  const s = createApkScheme();
  assert.equal(s.valid('1.2.3_rc1-r0'), true);
  for (const bad of ['', 'v1.0', 'abc', '1.0-x', '1.0_foo']) assert.equal(s.valid(bad), false, bad);
  for (const bad of ['', 'abc', '1.0 beta']) assert.throws(() => compareApk(bad, '1.0'), InputError, bad);
});
