// Every benchmark, one after another (they share 2 cores: never in parallel). Figures print as ratios against a
// baseline measured in the same run on the same input.
//   npm run bench            all
//   npm run bench -- scan    one (inspect, rootfs, ecosystems, scan, db, match, osv-incremental, db-scale, rematch,
//                            admission, workers, ui)
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const all: Record<string, string> = {
  inspect: 'inspect-bench.ts',
  rootfs: 'rootfs-bench.ts',
  ecosystems: 'ecosystems-bench.ts',
  scan: 'scan-bench.ts',
  db: 'db-bench.ts',
  match: 'match-bench.ts',
  'osv-incremental': 'osv-incremental-bench.ts',
  'db-scale': 'db-scale-bench.ts',
  rematch: 'rematch-bench.ts',
  admission: 'admission-bench.ts',
  workers: 'workers-bench.ts',
  ui: 'ui-bench.ts',
};
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(all);
for (const name of wanted) {
  const file = all[name];
  if (!file) throw new Error(`unknown bench ${name} (known: ${Object.keys(all).join(', ')})`);
  console.log(`\n== ${name}`);
  execFileSync(process.execPath, ['--max-semi-space-size=16', join(import.meta.dirname, file)], { stdio: 'inherit' });
}
