// Unpacked-root benchmark: `zerocve sbom dir:ROOT` against Trivy's `rootfs` SBOM of the same root, same run.
//   node bench/rootfs-bench.ts [ROOT] [--trivy PATH] [--runs N]
// ROOT defaults to the ML fixture's root ($ZEROCVE_FIXTURES or .cache/fixtures, then ml/rootfs). The Trivy peer is
// the npm build scripts/setup.sh installs (test/support/peers.ts; --trivy PATH or $ZEROCVE_TRIVY to use another).
// The machine is shared, so timings are noisy: one warm-up run each (page cache, Node's compile cache), then N
// rounds that interleave the two (A B, B A, A B …); every run is a child process measured by GNU time (wall, user+sys
// CPU, max RSS). Printed: each run, the medians, the ratio of the median walls and the median of the per-round
// ratios (each round's two runs saw about the same load). Also printed: what each SBOM catalogued, so a faster
// zerocve that stopped finding Python, conda, CUDA or model files would show.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TRIVY } from '../test/support/peers.ts';
import { median, timeProcess, type ProcessRun } from './measure.ts';

const repo = resolve(import.meta.dirname, '..');
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { trivy: { type: 'string' }, runs: { type: 'string', default: '5' } },
});
const fixtures = process.env.ZEROCVE_FIXTURES ?? join(repo, '.cache', 'fixtures');
const root = resolve(positionals[0] ?? join(fixtures, 'ml', 'rootfs'));
if (!existsSync(root))
  throw new Error(`no root at ${root}: name one (node bench/rootfs-bench.ts ROOT), or build the ML fixture first`);
const trivy = values.trivy ?? TRIVY;
const haveTrivy = existsSync(trivy);
const runs = Math.max(1, Number(values.runs));

type Run = Omit<ProcessRun, 'stdout'>;
const work = mkdtempSync(join(tmpdir(), 'zerocve-rootfs-bench-'));

const measure = (cmd: string, args: string[]): Run => timeProcess(cmd, args);

const zcOut = join(work, 'zerocve.cdx.json');
const trivyOut = join(work, 'trivy.cdx.json');
const zerocve = (): Run =>
  measure(process.execPath, [
    '--max-semi-space-size=16',
    join(repo, 'bin', 'zerocve.js'),
    'sbom',
    `dir:${root}`,
    '-q',
    '--output',
    zcOut,
  ]);
let trivyRun = 0;
const peer = (): Run => {
  const cache = join(work, `trivy-cache-${trivyRun++}`); // a cold cache every run
  try {
    return measure(trivy, ['rootfs', '-q', '--cache-dir', cache, '--output', trivyOut, root]);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
};

/** components of a CycloneDX file by kind: purl type, or the component type when there is no purl */
function catalogued(file: string): string {
  const bom = JSON.parse(readFileSync(file, 'utf8')) as { components?: { type: string; purl?: string }[] };
  const counts = new Map<string, number>();
  for (const c of bom.components ?? []) {
    const kind = c.purl ? (/^pkg:([^/]+)/.exec(c.purl)?.[1] ?? 'purl') : c.type;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
}

try {
  const load = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const out: string[] = [`root: ${root}`, `load average before: ${load()}`];
  zerocve();
  if (haveTrivy) peer();
  const zc: Run[] = [];
  const tv: Run[] = [];
  const fmt = (r: Run): string =>
    `${r.wall.toFixed(2).padStart(6)} s wall ${r.cpu.toFixed(2).padStart(6)} s CPU ${String(r.rssMiB).padStart(5)} MiB`;
  for (let i = 0; i < runs; i++) {
    if (!haveTrivy || i % 2 === 0) {
      zc.push(zerocve());
      if (haveTrivy) tv.push(peer());
    } else {
      tv.push(peer());
      zc.push(zerocve());
    }
    out.push(`round ${i + 1}: zerocve ${fmt(zc[i])}` + (haveTrivy ? ` | trivy ${fmt(tv[i])}` : ''));
  }
  out.push(`load average after: ${load()}`);
  const med = (rs: Run[]): Run => ({
    wall: median(rs.map((r) => r.wall)),
    cpu: median(rs.map((r) => r.cpu)),
    rssMiB: median(rs.map((r) => r.rssMiB)),
  });
  const mz = med(zc);
  out.push(`zerocve sbom dir:   median ${fmt(mz)}   (${catalogued(zcOut)})`);
  if (haveTrivy) {
    const mt = med(tv);
    out.push(`trivy rootfs:       median ${fmt(mt)}   (${catalogued(trivyOut)})`);
    const perRound = median(zc.map((r, i) => r.wall / tv[i].wall));
    out.push(
      `ratio zerocve/trivy: ${(mz.wall / mt.wall).toFixed(2)}× median wall, ${perRound.toFixed(2)}× median ` +
        `of per-round wall ratios, ${(mz.cpu / mt.cpu).toFixed(2)}× median CPU (${runs} rounds)`,
    );
  } else out.push(`trivy: not found at ${trivy} (--trivy PATH or ZEROCVE_TRIVY): no ratio`);
  process.stdout.write(out.join('\n') + '\n');
} finally {
  rmSync(work, { recursive: true, force: true });
}
