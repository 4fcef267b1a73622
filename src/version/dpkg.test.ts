import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { corpusPath, corpusSkip } from '../../test/support/corpus.ts';
import { InputError } from '../core/errors.ts';
import { compareDpkg, createDpkgScheme, parseDpkg } from './dpkg.ts';

const VECTORS = 'version-vectors/dpkg/dpkg_version_compare.tsv';

test('dpkg: the dpkg project vectors', { skip: corpusSkip(VECTORS) }, () => {
  const rows = readFileSync(corpusPath(VECTORS)!, 'utf8').split('\n').filter(Boolean);
  assert.ok(rows.length > 30);
  for (const row of rows) {
    const [a, b, r] = row.split('\t');
    assert.equal(compareDpkg(a, b), Number(r), `${a} vs ${b}`);
  }
});

test('dpkg: ordering rules from deb-version(7)', () => {
  const table: [string, string, -1 | 0 | 1][] = [
    ['1.0~rc1', '1.0', -1], // ~ before the end
    ['1.0~~', '1.0~', -1],
    ['1.0~', '1.0', -1],
    ['1.0', '1.0a', -1], // end before letters
    ['1.0a', '1.0+', -1], // letters before non-letters
    ['1.0+', '1.0.', -1], // '+' (0x2b) before '.' (0x2e)
    ['1:0.1', '2.0', 1], // epoch wins
    ['0:2.0', '2.0', 0],
    ['2.0-1', '2.0-1.1', -1],
    ['2.0-10', '2.0-9', 1], // numeric runs compare by value
    ['1.2.3-1-2', '1.2.3-1-10', -1], // revision is after the last hyphen
    ['007', '7', 0],
    ['3.0.11-1+deb12u1', '3.0.11-1', 1],
    ['3.0.11-1~deb12u1', '3.0.11-1', -1],
  ];
  for (const [a, b, r] of table) {
    assert.equal(compareDpkg(a, b), r, `${a} vs ${b}`);
    assert.equal(compareDpkg(b, a), (0 - r || 0) as -1 | 0 | 1, `${b} vs ${a}`);
  }
});

test('dpkg: parse and invalid versions', () => {
  assert.deepEqual(parseDpkg('2:1.2-3-4'), { epoch: 2, upstream: '1.2-3', revision: '4' });
  assert.deepEqual(parseDpkg('1.2'), { epoch: 0, upstream: '1.2', revision: '' });
  const s = createDpkgScheme();
  for (const bad of ['', 'a:1.0', '1.0-', '1.0 2', '1.0-r@v', '-1']) {
    assert.equal(s.valid(bad), false, bad);
    assert.throws(
      () => s.compare(bad, '1.0'),
      (e: unknown) => e instanceof InputError && /^dpkg: invalid version/.test(e.message),
      bad,
    );
  }
  assert.equal(s.valid('1:2.36.1-8+deb11u1'), true);
});
