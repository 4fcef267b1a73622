import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../core/errors.ts';
import { compareConda, createCondaScheme } from './conda.ts';

// The ordering example of conda's VersionOrder documentation; `=` rows are equal to the row above.
const DOC_ORDER: [string, '<' | '='][] = [
  ['0.4', '<'],
  ['0.4.0', '='],
  ['0.4.1.rc', '<'],
  ['0.4.1.RC', '='],
  ['0.4.1', '<'],
  ['0.5a1', '<'],
  ['0.5b3', '<'],
  ['0.5C1', '<'],
  ['0.5', '<'],
  ['0.9.6', '<'],
  ['0.960923', '<'],
  ['1.0', '<'],
  ['1.1dev1', '<'],
  ['1.1_', '<'],
  ['1.1a1', '<'],
  ['1.1.0dev1', '<'],
  ['1.1.dev1', '='],
  ['1.1.a1', '<'],
  ['1.1.0rc1', '<'],
  ['1.1.0', '<'],
  ['1.1', '='],
  ['1.1.0post1', '<'],
  ['1.1.post1', '='],
  ['1.1post1', '<'],
  ['1996.07.12', '<'],
  ['1!0.4.1', '<'],
  ['1!3.1.1.6', '<'],
  ['2!0.4.1', '<'],
];

test('conda: the VersionOrder documentation order', () => {
  const rank: number[] = [];
  let r = 0;
  for (const [i, [, rel]] of DOC_ORDER.entries()) rank.push(i === 0 || rel === '=' ? r : ++r);
  for (let i = 0; i < DOC_ORDER.length; i++) {
    for (let j = 0; j < DOC_ORDER.length; j++) {
      assert.equal(
        compareConda(DOC_ORDER[i][0], DOC_ORDER[j][0]),
        Math.sign(rank[i] - rank[j]) || 0,
        `${DOC_ORDER[i][0]} vs ${DOC_ORDER[j][0]}`,
      );
    }
  }
});

test('conda: dashes, local versions, openssl-style', () => {
  const table: [string, string, -1 | 0 | 1][] = [
    ['1.2-3', '1.2_3', 0], // '-' read as '_' when there is no '_'
    ['1.2.3', '1.2.3+4', -1],
    ['1.2.3+4', '1.2.3+5', -1],
    ['1.0.1', '1.0.1a', 1],
    ['1.0.1_', '1.0.1a', -1],
    ['2.1.0', '2.1.0.post1', -1],
    ['11.8', '12.1', -1],
  ];
  for (const [a, b, r] of table) assert.equal(compareConda(a, b), r, `${a} vs ${b}`);
});

test('conda: invalid versions', () => {
  const s = createCondaScheme();
  for (const bad of ['', '1.0$', 'a!1.0', '1!2!3', '1+2+3', '+1.0', '1..0', '1-2_3']) {
    assert.equal(s.valid(bad), false, bad);
    assert.throws(() => s.compare(bad, '1.0'), InputError, bad);
  }
});
