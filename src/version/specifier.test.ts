import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../core/errors.ts';
import { parseSpecifiers, pep440Satisfies, satisfies } from './specifier.ts';
import { createDpkgScheme } from './dpkg.ts';
import { createCpeScheme } from './cpe.ts';

test('specifier: PEP 440 specifier semantics', () => {
  // rows from the examples of the version specifiers specification
  const table: [string, string, boolean][] = [
    ['2.0', '>=1.2,<2', false],
    ['1.9.9', '>=1.2,<2', true],
    ['2.2.1', '~=2.2', true],
    ['3.0', '~=2.2', false],
    ['1.4.5', '~=1.4.2', true],
    ['1.5.0', '~=1.4.2', false],
    ['1.4.1', '~=1.4.2', false],
    ['1.1.post1', '==1.1', false],
    ['1.1', '==1.1.0', true],
    ['1.1.post1', '==1.1.*', true],
    ['1.10', '==1.1.*', false],
    ['1.1a1', '==1.1.*', true],
    ['1.1.0+local', '==1.1', true], // local ignored when the specifier has none
    ['1.1.0+local', '==1.1+other', false],
    ['1.1.post1', '!=1.1', true],
    ['1.1.3', '!=1.1.*', false],
    ['1.7.0.dev1', '<1.7', false], // no pre-release of the bound itself
    ['1.7.0a1', '<1.7a2', true],
    ['1.7.1', '>1.7', true],
    ['1.7.0.post1', '>1.7', false], // no post-release of the bound itself
    ['1.7.1+x', '>1.7.1', false],
    ['1.7.post2', '>1.7.post1', true],
    ['1.0+downstream1', '<=1.0', true],
    ['1.0', '===1.0', true],
    ['1.0.0', '===1.0', false],
    ['foobar', '===foobar', true],
    ['2.0', '', true],
  ];
  for (const [v, spec, want] of table) assert.equal(pep440Satisfies(v, spec), want, `${v} ${spec}`);
  assert.equal(pep440Satisfies('2.0rc1', '>=1.0', { prereleases: false }), false);
  assert.equal(pep440Satisfies('2.0rc1', '>=2.0rc1', { prereleases: false }), true);
});

test('specifier: invalid specifiers', () => {
  for (const bad of ['>=', '=>1.0', '~=1', '>=1.*', '<1.0+local', '>=1.0;', '>=x.y'])
    assert.throws(() => parseSpecifiers(bad), InputError, bad);
  assert.throws(() => pep440Satisfies('x.y.z-foo', '>=1'), InputError);
});

test('specifier: satisfies for other schemes', () => {
  const cpe = createCpeScheme();
  assert.equal(satisfies(cpe, '550.54.15', '>=550.54.15'), true);
  assert.equal(satisfies(cpe, '550.54.14', '>=550.54.15'), false);
  assert.equal(satisfies(cpe, '555.1', '>=550.54.15, <560'), true);
  assert.equal(satisfies(cpe, '560', '>=550.54.15, <560'), false);
  const dpkg = createDpkgScheme();
  assert.equal(satisfies(dpkg, '1.0~rc1-1', '<1.0-1'), true);
  assert.equal(satisfies(dpkg, '1:1.0', '>2.0'), true);
  assert.equal(satisfies(dpkg, '1.0', '!=1.0'), false);
  assert.equal(satisfies(dpkg, '1.0', '1.0'), true);
  assert.throws(() => satisfies(dpkg, '1.0', '>= 1.0 2.0'), InputError);
});
