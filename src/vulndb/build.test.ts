// Atomicity: a real child process importing is killed with SIGKILL mid-import; the previous database must stay
// intact and usable, and the next import must clean up after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusPath, corpusSkip } from '../../test/support/corpus.ts';
import { importSources } from './import.ts';
import { openStore } from './store.ts';

const PYPA = 'vulndata/pypa-advisory-database/vulns';

test(
  'kill -9 during an import leaves the previous database intact; the next import removes the leftovers',
  { skip: corpusSkip(PYPA) },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'zerocve-kill-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const db = join(dir, 'zerocve.db');
    const small = join(dir, 'small');
    mkdirSync(small);
    writeFileSync(
      join(small, 'a.json'),
      JSON.stringify({
        id: 'KEEP-1',
        modified: '2024-01-01T00:00:00Z',
        affected: [
          {
            package: { ecosystem: 'PyPI', name: 'keep' },
            ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
          },
        ],
      }),
    );
    await importSources(db, [{ path: small, source: 'osv:small' }]);

    const script = join(dir, 'child.ts');
    writeFileSync(
      script,
      `import { importSources } from ${JSON.stringify(join(import.meta.dirname, 'import.ts'))};\n` +
        (`await importSources(${JSON.stringify(db)}, [{ path: ${JSON.stringify(corpusPath(PYPA))}, source: ` +
          `'osv:big' }], { onProgress: (p) => { if (p.records >= 1000) ` +
          `process.stdout.write('progress\\n'); } });\n`),
    );
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', () => resolve());
      child.on('exit', (code) => reject(new Error(`child exited (${code}) before it got under way`)));
    });
    assert.ok(
      readdirSync(dir).some((n) => n.startsWith('zerocve.db.tmp-')),
      'the child builds into a temp file',
    );
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));

    const s = openStore(db);
    try {
      assert.deepEqual(
        s.status().sources.map((x) => x.name),
        ['osv:small'],
      );
      assert.equal(s.advisoriesFor('PyPI', 'keep')[0].id, 'KEEP-1');
    } finally {
      s.close();
    }
    assert.ok(existsSync(`${db}.lock`), 'the killed child left its lock');
    // the next import sees the dead pid, takes the lock over and removes the dead build's temp file
    await importSources(db, [{ path: small, source: 'osv:small2' }]);
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.startsWith('zerocve.db.')),
      [],
    );
    const s2 = openStore(db);
    try {
      assert.deepEqual(
        s2.status().sources.map((x) => x.name),
        ['osv:small', 'osv:small2'],
      );
    } finally {
      s2.close();
    }
  },
);
