import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../core/errors.ts';
import { openZip } from './read-zip.ts';

// Zips are written by Python's zipfile (an independent producer), including Zip64 records.
function pythonZip(out: string, members: Record<string, string>, opts: { zip64?: boolean } = {}): void {
  const script2 = `
import sys, json, zipfile
members = json.loads(sys.argv[2])
with zipfile.ZipFile(sys.argv[1], 'w', allowZip64=True) as z:
    for i, (name, text) in enumerate(members.items()):
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_STORED if i % 2 else zipfile.ZIP_DEFLATED
        with z.open(info, 'w', force_zip64=${opts.zip64 ? 'True' : 'False'}) as f:
            f.write(text.encode())
`;
  execFileSync('python3', ['-c', script2, out, JSON.stringify(members)]);
}

const dir = mkdtempSync(join(tmpdir(), 'zerocve-zip-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const members: Record<string, string> = {
  'a/PYSEC-1.json': JSON.stringify({ id: 'PYSEC-1', text: 'x'.repeat(5000) }),
  'b.json': '{"id":"B"}',
  'dir/ünïcode.yaml': 'id: U\n' + 'line\n'.repeat(300),
  'empty.json': '',
};

for (const zip64 of [false, true]) {
  test(`reads every member of a Python-written zip (zip64=${zip64}), stored and deflated`, () => {
    const p = join(dir, `m${zip64}.zip`);
    pythonZip(p, members, { zip64 });
    const z = openZip(p);
    try {
      assert.deepEqual(
        [...z.entries()].map((e) => e.name),
        Object.keys(members),
      );
      assert.deepEqual(new Set([...z.entries()].map((e) => e.method)), new Set([0, 8]));
      for (const e of z.entries()) assert.equal(z.read(e).toString('utf8'), members[e.name]);
      assert.equal(z.count, Object.keys(members).length);
    } finally {
      z.close();
    }
    // the central directory read in windows smaller than one entry's header: the same members
    const w = openZip(p, { windowBytes: 64 });
    try {
      assert.deepEqual(
        [...w.entries()].map((e) => [e.name, w.read(e).toString('utf8')]),
        Object.entries(members),
      );
    } finally {
      w.close();
    }
  });
}

test('a flipped byte inside a member fails that member with a CRC error naming it', () => {
  const p = join(dir, 'crc.zip');
  pythonZip(p, { 'x.json': 'A'.repeat(100), 'y.json': 'B'.repeat(100) });
  const buf = readFileSync(p);
  // the second member is stored: its bytes appear verbatim
  const at = buf.indexOf('B'.repeat(100));
  buf[at + 10] = 'C'.charCodeAt(0);
  writeFileSync(p, buf);
  const z = openZip(p);
  try {
    assert.equal(z.read([...z.entries()][0]).length, 100);
    assert.throws(
      () => z.read([...z.entries()][1]),
      (e: unknown) => e instanceof InputError && /y\.json: CRC-32 mismatch/.test(e.message),
    );
  } finally {
    z.close();
  }
});

test('a truncated zip or a non-zip is refused with an InputError naming the file', () => {
  const p = join(dir, 'trunc.zip');
  pythonZip(p, members);
  truncateSync(p, Math.floor(statSync(p).size / 2));
  assert.throws(
    () => openZip(p),
    (e: unknown) => e instanceof InputError && e.message.includes(p) && !e.message.includes('\n'),
  );
  const q = join(dir, 'text.zip');
  writeFileSync(q, 'hello, not a zip');
  assert.throws(
    () => openZip(q),
    (e: unknown) => e instanceof InputError && /no end of central directory/.test(e.message),
  );
});

test('more members than a plain end record counts (70,000): the count comes from the Zip64 end record', () => {
  const p = join(dir, 'many.zip');
  execFileSync('python3', [
    '-c',
    `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED, allowZip64=True) as z:
    z.writestr('first.json', '{"id":"FIRST"}')
    for i in range(70000): z.writestr('r/%d.json' % i, '')
`,
    p,
  ]);
  const buf = readFileSync(p);
  assert.equal(buf.readUInt16LE(buf.length - 22 + 10), 0xffff, 'the plain end record is saturated');
  const z = openZip(p, { windowBytes: 4096 });
  try {
    assert.equal(z.count, 70001);
    let n = 0;
    let last = '';
    for (const e of z.entries()) {
      if (n === 0) assert.equal(z.read(e).toString(), '{"id":"FIRST"}');
      last = e.name;
      n++;
    }
    assert.deepEqual([n, last], [70001, 'r/69999.json']);
  } finally {
    z.close();
  }
});
