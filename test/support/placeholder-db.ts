// A vulnerability database that exists and is valid but matches nothing the tests' images hold: for tests about which
// digests get scanned and stored, not about findings. Built by the real importer from one OSV record.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importSources } from '../../src/vulndb/index.ts';

/** Writes the record under `work/adv` and imports it into `work/vuln.db`; returns the database's path. */
export async function placeholderDb(work: string): Promise<string> {
  const adv = join(work, 'adv');
  mkdirSync(adv, { recursive: true });
  writeFileSync(
    join(adv, 'ZC-TEST-1.json'),
    JSON.stringify({
      id: 'ZC-TEST-1',
      modified: '2026-01-01T00:00:00Z',
      affected: [
        {
          package: { ecosystem: 'PyPI', name: 'zc-nothing' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.0' }] }],
        },
      ],
    }),
  );
  const db = join(work, 'vuln.db');
  await importSources(db, [adv]);
  return db;
}
