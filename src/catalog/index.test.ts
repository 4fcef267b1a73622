// The catalog end to end on a real Debian root: every dpkg package as dpkg-query reports it, the OS, and
// Debian's numpy distribution owned by python3-numpy; Python distributions as Python's importlib.metadata sees them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { buildInventory, createCatalogers } from './index.ts';
import { debianNumpyRoot } from './testing.ts';
import { analyzeTree } from '../../test/support/walk-root.ts';

const fixture = await debianNumpyRoot();

test(
  'Debian root: inventory matches dpkg-query, os-release and importlib.metadata',
  { skip: fixture.reason ?? false, timeout: 600_000 },
  async () => {
    const root = fixture.root!;
    const facts = await analyzeTree(createCatalogers(), root, { layer: 2 });
    const inv = buildInventory(facts, { files: true });

    // every installed dpkg package, with source, source version and arch as dpkg itself resolves them
    const q = execFileSync(
      'dpkg-query',
      [
        `--admindir=${join(root, 'var/lib/dpkg')}`,
        '-W',
        '-f=${db:Status-Status}\t${Package}\t${Version}\t${source:Package}\t${source:Version}\t${Architecture}\n',
      ],
      { encoding: 'utf8' },
    );
    const expected = q
      .trim()
      .split('\n')
      .map((l) => l.split('\t'))
      .filter((f) => f[0] === 'installed')
      .map((f) => f.slice(1).join('\t'))
      .sort();
    const got = inv.packages
      .filter((p) => p.type === 'deb')
      .map((p) => {
        const m = p.metadata as Extract<typeof p.metadata, { kind: 'dpkg' }>;
        return [p.name, p.version, m.source, m.sourceVersion, m.arch].join('\t');
      })
      .sort();
    assert.ok(expected.length > 50, `dpkg-query listed only ${expected.length} packages`);
    assert.deepEqual(got, expected);

    // OS from os-release, as a shell sourcing it reads it
    const shell = execFileSync(
      'sh',
      ['-c', '. "$1"; printf "%s %s" "$ID" "$VERSION_ID"', 'sh', join(root, 'usr/lib/os-release')],
      { encoding: 'utf8' },
    );
    assert.equal(`${inv.os?.id} ${inv.os?.versionId}`, shell);
    assert.equal(inv.os?.distroless, undefined);

    // every deb package has a location in the status file on the given layer, a purl with the distro, and files
    const numpyDeb = inv.packages.find((p) => p.type === 'deb' && p.name === 'python3-numpy');
    assert.ok(numpyDeb);
    assert.deepEqual(numpyDeb.locations, [{ path: '/var/lib/dpkg/status', layer: 2 }]);
    assert.match(
      numpyDeb.purl,
      /^pkg:deb\/debian\/python3-numpy@1:1\.24\.2-[^?]+\?arch=amd64&distro=debian-12&upstream=numpy$/,
    );
    assert.ok(numpyDeb.files?.includes('/usr/lib/python3/dist-packages/numpy/__init__.py'));

    // Python distributions: the same names and versions importlib.metadata finds in dist-packages
    const site = join(root, 'usr/lib/python3/dist-packages');
    const py = execFileSync(
      'python3',
      [
        '-c',
        'import sys, importlib.metadata as m\nfor d in m.distributions(path=[sys.argv[1]]): ' +
          'print(d.metadata["Name"], d.version)',
        site,
      ],
      { encoding: 'utf8' },
    );
    const norm = (n: string): string => n.toLowerCase().replace(/[-_.]+/g, '-');
    const expectedPy = py
      .trim()
      .split('\n')
      .map((l) => {
        const [n, v] = l.split(' ');
        return `${norm(n)} ${v}`;
      })
      .sort();
    const gotPy = inv.packages
      .filter((p) => p.type === 'python' && p.locations[0].path.startsWith('/usr/lib/python3/dist-packages/'))
      .map((p) => `${p.name} ${p.version}`)
      .sort();
    assert.deepEqual(gotPy, expectedPy);

    // numpy's egg-info is owned by python3-numpy
    const numpy = inv.packages.find((p) => p.type === 'python' && p.name === 'numpy');
    assert.equal(numpy?.ownedBy, numpyDeb.id);
    assert.equal(numpy?.purl, `pkg:pypi/numpy@${numpy?.version}`);
    // every Python distribution in dist-packages comes from a Debian package
    for (const p of inv.packages.filter((x) => x.type === 'python'))
      assert.ok(p.ownedBy?.startsWith('deb:'), `${p.id} has no owner`);

    // ids are unique and the order is deterministic (type, name, version, path)
    assert.equal(new Set(inv.packages.map((p) => p.id)).size, inv.packages.length);
    const again = buildInventory([...facts].reverse(), { files: true });
    assert.deepEqual(
      again.packages.map((p) => p.id),
      inv.packages.map((p) => p.id),
    );
    assert.deepEqual(inv.problems, []);

    // without options.files, no file lists are kept
    assert.ok(buildInventory(facts).packages.every((p) => p.files === undefined));
  },
);
