// The Java cataloguer's zip reader on archives written by Python's zipfile (an independent producer): one with more
// members than a plain end record can count (so a Zip64 end record holds the count), and one behind a prepended stub
// (a self-extracting archive: offsets relative to the zip, not to the file). The record parsing is shared with
// vulndb's feed reader (src/core/zip-format.ts), whose own test reads a Zip64-counted archive too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCentralDirectory, readEntry, type ZipRegion } from './read-zip.ts';

const dir = mkdtempSync(join(tmpdir(), 'zerocve-jar-zip-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const POM = 'META-INF/maven/org.example/demo/pom.properties';
const POM_TEXT = 'groupId=org.example\nartifactId=demo\nversion=1.2.3\n';
const MANY = 70_000;

function pythonZip(out: string, members: number): void {
  execFileSync('python3', [
    '-c',
    `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED, allowZip64=True) as z:
    z.writestr(sys.argv[3], sys.argv[4])
    for i in range(int(sys.argv[2])):
        z.writestr('com/example/C%d.class' % i, b'')
`,
    out,
    String(members),
    POM,
    POM_TEXT,
  ]);
}

const region = (buf: Buffer): ZipRegion => ({ buf, base: 0, length: buf.length });

test('more members than a plain end record counts: the Zip64 end record is read', async () => {
  const p = join(dir, 'many.jar');
  pythonZip(p, MANY);
  const buf = readFileSync(p);
  assert.equal(buf.readUInt16LE(buf.length - 22 + 10), 0xffff, 'the plain end record is saturated');
  const all = await readCentralDirectory(region(buf));
  assert.equal(all.length, MANY + 1);
  const named = await readCentralDirectory(region(buf), { classes: false });
  assert.deepEqual(
    named.map((e) => e.name),
    [POM],
  );
  assert.equal((await readEntry(region(buf), named[0], 4096)).toString(), POM_TEXT);
});

test('an archive behind a prepended stub: entries found where the zip really starts', async () => {
  const p = join(dir, 'plain.jar');
  pythonZip(p, 3);
  const stub = Buffer.from('#!/bin/sh\nexec java -jar "$0" "$@"\n'.padEnd(1000, '#'));
  const buf = Buffer.concat([stub, readFileSync(p)]);
  writeFileSync(join(dir, 'stubbed.jar'), buf);
  const entries = await readCentralDirectory(region(buf));
  assert.equal(entries.length, 4);
  const pom = entries.find((e) => e.name === POM)!;
  assert.equal((await readEntry(region(buf), pom, 4096)).toString(), POM_TEXT);
});
