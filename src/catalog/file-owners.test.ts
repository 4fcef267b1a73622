import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Package } from '../core/package.ts';
import { createFileOwners, usrMergedTwin } from './file-owners.ts';

const pkg = (type: 'deb' | 'python', name: string, files: string[]): Package => ({
  id: `${type}:${name}@1:/x`,
  type,
  name,
  version: '1',
  purl: '',
  locations: [{ path: '/x', layer: 0 }],
  files,
  metadata:
    type === 'deb'
      ? { kind: 'dpkg', source: name, sourceVersion: '1', arch: 'amd64' }
      : { kind: 'python', format: 'dist-info', sitePackages: '/usr/lib/python3/dist-packages' },
});

test('usrMergedTwin maps /bin, /sbin and /lib* to /usr and back, and nothing else', () => {
  assert.equal(usrMergedTwin('/bin/sh'), '/usr/bin/sh');
  assert.equal(usrMergedTwin('/usr/lib/x86_64-linux-gnu/libc.so.6'), '/lib/x86_64-linux-gnu/libc.so.6');
  assert.equal(usrMergedTwin('/lib64/ld-linux-x86-64.so.2'), '/usr/lib64/ld-linux-x86-64.so.2');
  assert.equal(usrMergedTwin('/usr/share/doc/x'), undefined);
  assert.equal(usrMergedTwin('/etc/passwd'), undefined);
  assert.equal(usrMergedTwin('/binary/x'), undefined);
});

test('ownerOf finds the owner under the path or its /usr-merged twin, first in inventory order', () => {
  const coreutils = pkg('deb', 'coreutils', ['/bin/ls', '/usr/share/doc/coreutils/copyright']);
  const numpyDeb = pkg('deb', 'python3-numpy', ['/usr/lib/python3/dist-packages/numpy/__init__.py']);
  const numpy = pkg('python', 'numpy', ['/usr/lib/python3/dist-packages/numpy/__init__.py']);
  const owners = createFileOwners([coreutils, numpyDeb, numpy]);
  assert.equal(owners.ownerOf('/bin/ls'), coreutils);
  assert.equal(owners.ownerOf('/usr/bin/ls'), coreutils);
  assert.equal(owners.ownerOf('/usr/bin/cat'), undefined);
  assert.equal(owners.ownerOf('/lib/python3/dist-packages/numpy/__init__.py'), numpyDeb);
  assert.equal(
    owners.ownerOf('/usr/lib/python3/dist-packages/numpy/__init__.py', (p) => p.type === 'python'),
    numpy,
  );
  assert.equal(
    owners.ownerOf('/bin/ls', (p) => p.type === 'python'),
    undefined,
  );
  assert.equal(owners.size, 3);
});
