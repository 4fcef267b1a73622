// `zerocve db import|status` end to end: the real CLI on real advisory data from the shared corpus.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { corpusPath, corpusSkip } from '../support/corpus.ts';
import { zerocve } from './support.ts';

const GO = 'vulndata/go-vulndb/data/osv';
const PYPA = 'vulndata/pypa-advisory-database/vulns';

interface Status {
  sources: { name: string; kind: string; advisories: number; affected: number }[];
  advisories: number;
}

test(
  'importing one OSV input after another keeps both; re-importing the first replaces only it',
  { skip: corpusSkip(GO) || corpusSkip(PYPA), timeout: 300_000 },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'zerocve-db-e2e-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const db = join(dir, 'zerocve.db');
    const go = corpusPath(GO)!;
    const pypa = corpusPath(PYPA)!;
    const status = async (): Promise<Status> => {
      const r = await zerocve(['db', 'status', '--db', db, '--format', 'json']);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as Status;
    };

    let r = await zerocve(['db', 'import', '--db', db, '--quiet', go]);
    assert.equal(r.code, 0, r.stderr);
    const afterGo = await status();
    assert.equal(afterGo.sources.length, 1);
    const goSource = afterGo.sources[0];
    assert.equal(goSource.name, `osv:${resolve(go)}`, 'an offline OSV input is named after its path');
    assert.ok(goSource.advisories > 4000);

    r = await zerocve(['db', 'import', '--db', db, '--quiet', pypa]);
    assert.equal(r.code, 0, r.stderr);
    const afterBoth = await status();
    assert.deepEqual(afterBoth.sources.map((s) => s.name).sort(), [`osv:${resolve(go)}`, `osv:${resolve(pypa)}`]);
    assert.deepEqual(
      afterBoth.sources.find((s) => s.name === goSource.name),
      { ...afterBoth.sources.find((s) => s.name === goSource.name)!, advisories: goSource.advisories },
      'the Go records imported first are still there',
    );
    const pypaCount = afterBoth.sources.find((s) => s.name !== goSource.name)!.advisories;
    assert.ok(pypaCount > 2000);
    assert.equal(afterBoth.advisories, goSource.advisories + pypaCount);

    // re-importing A replaces A's rows only: no duplicates, B untouched
    r = await zerocve(['db', 'import', '--db', db, '--quiet', go]);
    assert.equal(r.code, 0, r.stderr);
    const again = await status();
    assert.equal(again.advisories, goSource.advisories + pypaCount);
    assert.equal(again.sources.length, 2);

    // the table lists every source with its counts
    r = await zerocve(['db', 'status', '--db', db]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`${resolve(go).replace(/[/.]/g, '\\$&')}\\s+${goSource.advisories} advisories`));
    assert.match(r.stdout, new RegExp(`${resolve(pypa).replace(/[/.]/g, '\\$&')}\\s+${pypaCount} advisories`));
  },
);
