// Language ecosystems: zerocve's inventory against Trivy 0.74's (`rootfs`, the cdxgen build: RECIPES.md) on the
// same unpacked root — the two layers of the ecosystems fixture image (Debian 12 with fzf, Java libraries and
// node-* packages; an npm install, esbuild's npm binary, Debian 11's fzf) merged with hard links.
//   node bench/ecosystems-bench.ts [--trivy PATH] [--runs N] [--baseline REPO]   (Trivy: test/support/peers.ts)
// --baseline REPO: another checkout of zerocve (e.g. a worktree at an older commit) run in the same rounds, so a
// change's before and after are measured under the same load.
// Both run as what a user runs, a process from start to exit writing a CycloneDX SBOM: `zerocve sbom dir:ROOT` and
// `trivy rootfs --format cyclonedx` with a cold cache. The machine is shared and noisy, so after one warm-up run
// each (page cache, Node's compile cache), N rounds interleave the two (A B, B A, A B …); every run is measured by
// GNU time (wall, user+sys CPU, max RSS). Printed: each round with its ratio zerocve/Trivy (the two runs of a round
// saw about the same load), the medians, and the ratios of the medians; then, per purl type, what each SBOM lists
// and what only one lists, so a faster zerocve that stopped finding something would show.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ecosystemImage } from '../test/support/ecosystem-image.ts';
import { TRIVY } from '../test/support/peers.ts';
import { median, timeProcess, type ProcessRun } from './measure.ts';

const repo = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: { trivy: { type: 'string' }, runs: { type: 'string', default: '7' }, baseline: { type: 'string' } },
});
const trivy = values.trivy ?? TRIVY;
if (!existsSync(trivy))
  throw new Error(
    `no Trivy at ${trivy}: run scripts/setup.sh or pass --trivy PATH (RECIPES.md: Trivy 0.74, cdxgen build)`,
  );
const runs = Math.max(1, Number(values.runs));

const img = await ecosystemImage();
const merged = join(img.debianRoot, '..', 'merged');
if (!existsSync(join(merged, 'app'))) {
  rmSync(merged, { recursive: true, force: true });
  execFileSync('cp', ['-al', img.debianRoot, merged]);
  execFileSync('cp', ['-al', `${img.appRoot}/.`, merged]);
}

type Run = Omit<ProcessRun, 'stdout'>;
const work = mkdtempSync(join(tmpdir(), 'zerocve-eco-bench-'));
const measure = (cmd: string, args: string[]): Run => timeProcess(cmd, args);

const zcOut = join(work, 'zerocve.cdx.json');
const trivyOut = join(work, 'trivy.cdx.json');
const sbomOf = (checkout: string, out: string) => (): Run =>
  measure(process.execPath, [
    '--max-semi-space-size=16',
    join(checkout, 'bin', 'zerocve.js'),
    'sbom',
    `dir:${merged}`,
    '-q',
    '--output',
    out,
  ]);
const zerocve = sbomOf(repo, zcOut);
const baselineRepo = values.baseline ? resolve(values.baseline) : undefined;
const baseline = baselineRepo ? sbomOf(baselineRepo, join(work, 'baseline.cdx.json')) : undefined;
let trivyRun = 0;
const peer = (): Run => {
  const cache = join(work, `trivy-cache-${trivyRun++}`); // a cold cache every run
  try {
    return measure(trivy, [
      'rootfs',
      '-q',
      '--cache-dir',
      cache,
      '--format',
      'cyclonedx',
      '--output',
      trivyOut,
      merged,
    ]);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
};

const key = (purl: string): string => decodeURIComponent(purl.split('?')[0]);
const LANG = ['npm', 'maven', 'golang', 'cargo'];
function languagePurls(file: string): Set<string> {
  const bom = JSON.parse(readFileSync(file, 'utf8')) as { components?: { purl?: string }[] };
  return new Set(
    (bom.components ?? [])
      .map((c) => (c.purl ? key(c.purl) : ''))
      .filter((p) => LANG.some((l) => p.startsWith(`pkg:${l}/`))),
  );
}

try {
  const load = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const out: string[] = [`root: ${merged}`, `load average before: ${load()}`];
  zerocve();
  peer();
  baseline?.();
  const zc: Run[] = [];
  const tv: Run[] = [];
  const bl: Run[] = [];
  const fmt = (r: Run): string =>
    `${r.wall.toFixed(2).padStart(5)} s wall ${r.cpu.toFixed(2).padStart(5)} s CPU ${String(r.rssMiB).padStart(4)} MiB`;
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      zc.push(zerocve());
      tv.push(peer());
      if (baseline) bl.push(baseline());
    } else {
      if (baseline) bl.push(baseline());
      tv.push(peer());
      zc.push(zerocve());
    }
    out.push(
      `round ${i + 1}: zerocve ${fmt(zc[i])} | Trivy ${fmt(tv[i])} | ratio ${(zc[i].wall / tv[i].wall).toFixed(2)}× ` +
        `wall, ${(zc[i].cpu / tv[i].cpu).toFixed(2)}× CPU`,
    );
    if (baseline)
      out.push(
        `         baseline ${fmt(bl[i])} | ratio to Trivy ${(bl[i].wall / tv[i].wall).toFixed(2)}× wall, ` +
          `${(bl[i].cpu / tv[i].cpu).toFixed(2)}× CPU`,
      );
  }
  out.push(`load average after: ${load()}`);
  const med = (rs: Run[]): Run => ({
    wall: median(rs.map((r) => r.wall)),
    cpu: median(rs.map((r) => r.cpu)),
    rssMiB: median(rs.map((r) => r.rssMiB)),
  });
  const mz = med(zc);
  const mt = med(tv);
  out.push(`zerocve sbom dir:  median ${fmt(mz)}`);
  out.push(`Trivy rootfs:      median ${fmt(mt)}`);
  out.push(
    `RATIO zerocve/Trivy (${runs} interleaved rounds): median of per-round wall ratios ` +
      `${median(zc.map((r, i) => r.wall / tv[i].wall)).toFixed(2)}×, ratio of median walls ` +
      `${(mz.wall / mt.wall).toFixed(2)}×, ratio of median CPU ${(mz.cpu / mt.cpu).toFixed(2)}× ` +
      `(≤ 1.00 = no slower than Trivy)`,
  );
  if (baseline) {
    const mb = med(bl);
    out.push(`baseline (${baselineRepo}):  median ${fmt(mb)}`);
    out.push(
      `RATIO baseline/Trivy: median of per-round wall ratios ` +
        `${median(bl.map((r, i) => r.wall / tv[i].wall)).toFixed(2)}×, ratio of median CPU ` +
        `${(mb.cpu / mt.cpu).toFixed(2)}×; zerocve/baseline: median of per-round wall ratios ` +
        `${median(zc.map((r, i) => r.wall / bl[i].wall)).toFixed(2)}×, ratio of median CPU ` +
        `${(mz.cpu / mb.cpu).toFixed(2)}×`,
    );
  }
  const zero = languagePurls(zcOut);
  const peerPurls = languagePurls(trivyOut);
  for (const l of LANG) {
    const z = [...zero].filter((p) => p.startsWith(`pkg:${l}/`));
    const t = [...peerPurls].filter((p) => p.startsWith(`pkg:${l}/`));
    out.push(`${l}: zerocve ${z.length}, Trivy ${t.length}`);
    for (const p of t.filter((x) => !zero.has(x))) out.push(`  only Trivy: ${p}`);
    const onlyZ = z.filter((x) => !peerPurls.has(x));
    if (onlyZ.length) out.push(`  only zerocve: ${onlyZ.length} (e.g. ${onlyZ.slice(0, 3).join(', ')})`);
  }
  process.stdout.write(out.join('\n') + '\n');
} finally {
  rmSync(work, { recursive: true, force: true });
}
