// Scan benchmark: the whole `zerocve scan` (every default analyzer in the one pass: inventory, ELF, GPU, models,
// secrets, surface, bloat, dependency doctor) on a real image, against baselines on the same input, same run:
//   gzip -dc | tar -t   the cost of just listing the layers
//   trivy rootfs        a peer's SBOM scan of the unpacked root (when a trivy binary is given: --trivy PATH)
//   node bench/scan-bench.ts [oci-dir:PATH[:tag]] [--rootfs DIR] [--trivy PATH]
// Defaults to the ML fixture (.cache/fixtures/ml). Every run is a child process measured by GNU time (wall, max RSS).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '..');
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { rootfs: { type: 'string' }, trivy: { type: 'string' } },
});
const fx = join(root, '.cache/fixtures/ml');
const target = positionals[0] ?? `oci-dir:${join(fx, 'oci')}:latest`;
const rootfs = values.rootfs ?? (positionals[0] ? undefined : join(fx, 'rootfs'));
if (!positionals[0] && !existsSync(join(fx, 'oci')))
  throw new Error(
    'no ML fixture: run the tests once (or node -e ' +
      "\"import('./test/support/images.ts').then(m=>m.fixtureImage('ml'))\"), or name a target",
  );

interface Run {
  wall: number;
  rssMiB: number;
}
const q = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;
/** Run a shell command line under GNU time; its output is discarded. */
function measure(line: string): Run {
  const out = execFileSync(
    'sh',
    [
      '-c',
      `/usr/bin/time -f 'TIME %e %M' sh -c ${q(line)} >/dev/null 2>"$0"; cat "$0"`,
      join(tmpdir(), `zerocve-bench-${process.pid}`),
    ],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  const m = /TIME ([\d.]+) (\d+)/.exec(out);
  if (!m) throw new Error(`no timing for ${line}: ${out.slice(-300)}`);
  return { wall: Number(m[1]), rssMiB: Math.round(Number(m[2]) / 1024) };
}

const layout = target.replace(/^oci-dir:/, '').replace(/:[\w.-]+$/, '');
const blobs = join(layout, 'blobs/sha256');
const layers = readdirSync(blobs)
  .map((b) => join(blobs, b))
  .filter(
    (p) =>
      statSync(p).size > 1 << 20 &&
      readFileSync(p)
        .subarray(0, 2)
        .equals(Buffer.from([0x1f, 0x8b])),
  );
const node = process.execPath;
const bin = join(root, 'bin/zerocve.js');
const cache = mkdtempSync(join(tmpdir(), 'zerocve-bench-'));
try {
  const base = measure(layers.map((f) => `gzip -dc ${q(f)} | tar -t`).join('; '));
  const scan =
    `${q(node)} --max-semi-space-size=16 ${q(bin)} scan ${q(target)} --allow-no-db -q -f json ` +
    `--cache-dir ${q(cache)}`;
  const cold = measure(scan);
  const warm = measure(scan);
  const rows: [string, Run][] = [
    ['gzip -dc | tar -t (baseline)', base],
    ['zerocve scan, cold', cold],
    ['zerocve scan, warm (layer cache)', warm],
  ];
  if (values.trivy && rootfs) {
    const t = measure(
      `${q(values.trivy)} rootfs -q --cache-dir ${q(join(cache, 'trivy'))} --format cyclonedx --output ` +
        `${q(join(cache, 'trivy.cdx.json'))} ${q(rootfs)}`,
    );
    rows.push(['trivy rootfs (SBOM of the unpacked root)', t]);
  }
  const bytes = layers.reduce((n, l) => n + statSync(l).size, 0);
  console.log(`scan bench: ${target} (${(bytes / 1e6).toFixed(0)} MB of gzip layers)`);
  for (const [name, r] of rows)
    console.log(
      `  ${name.padEnd(42)} ${r.wall.toFixed(2).padStart(7)} s  ` +
        `${(r.wall / base.wall).toFixed(2).padStart(5)}× baseline  max RSS ${String(r.rssMiB).padStart(4)}` +
        ` MiB`,
    );
} finally {
  rmSync(cache, { recursive: true, force: true });
}
