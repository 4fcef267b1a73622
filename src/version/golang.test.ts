import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareGo, createGoScheme, goToolchainToSemver } from './golang.ts';

test('go: toolchain names to the vulnerability database form', () => {
  const table: [string, string | undefined][] = [
    ['go1.19.8', '1.19.8'],
    ['go1.20', '1.20.0'],
    ['go1.21.0', '1.21.0'],
    ['go1.21rc2', '1.21.0-rc.2'],
    ['go1.9beta1', '1.9.0-beta.1'],
    ['go1.22.1 X:boringcrypto', '1.22.1'],
    ['go1', '1.0.0'],
    ['devel go1.22-1a2b3c Tue', undefined],
    ['1.19.8', undefined],
    ['go1.19.x', undefined],
  ];
  for (const [v, want] of table) assert.equal(goToolchainToSemver(v), want, v);
});

test('go: module and toolchain order', () => {
  const chain = [
    'v0.0.0-20190308221718-c2843e01d9a2',
    'v0.0.0-20220127200216-cd36cc0744dd',
    'v0.0.0-20221012135044-0b7e1fb9d458',
    'v0.1.0',
    'v0.7.0',
    'v1.2.3',
    'v1.2.4-0.20191109021931-daa7c04131f5',
    'v1.2.4',
    'v2.0.0+incompatible',
    'v2.1.0+incompatible',
  ];
  for (let i = 0; i < chain.length; i++)
    for (let j = 0; j < chain.length; j++)
      assert.equal(compareGo(chain[i], chain[j]), Math.sign(i - j) || 0, `${chain[i]} vs ${chain[j]}`);
  const toolchain = ['go1.9beta1', 'go1.9', 'go1.19.8', 'go1.20', 'go1.21rc2', 'go1.21rc4', 'go1.21.0', 'go1.21.10'];
  for (let i = 1; i < toolchain.length; i++)
    assert.equal(compareGo(toolchain[i - 1], toolchain[i]), -1, `${toolchain[i - 1]} < ${toolchain[i]}`);
  assert.equal(compareGo('go1.20', '1.20.0'), 0);
  assert.equal(compareGo('v1.2.3+incompatible', 'v1.2.3'), 0);
});

test('go: invalid versions', () => {
  const s = createGoScheme();
  for (const bad of ['', 'devel', '(devel)', 'latest', 'master', 'vX']) {
    assert.equal(s.valid(bad), false, bad);
    assert.throws(() => s.compare(bad, 'v1.0.0'), /go: invalid version/, bad);
  }
});
