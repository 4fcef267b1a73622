// Inspect benchmark: how fast and how lean is the layer walk on a real image?
//   node bench/inspect-bench.ts [TARGET] [--runs N] [--gnu-tar] [--bomb GiB]
// TARGET: oci-dir:, oci-archive: or docker-archive: (default: the ML fixture, $ZEROCVE_FIXTURES or .cache/fixtures,
// then ml/oci). Measured on the same layers, in the same run, N interleaved rounds (the order rotates each round, as
// the machine is shared and its load drifts):
//   node-gunzip    Node's gunzip/zstd with 256 KiB chunks, layers one after another, bytes dropped (the floor for a
//                  Node walker that reads the same verified source)
//   walk cold      walkImage with an empty cache (no analyzers: the walk itself; layers two at a time)
//   inspect cold   the CLI, `zerocve inspect TARGET --cache-dir EMPTY`, start to exit
// then warm runs (cache filled: no layer opened). Every run is a child process; wall and CPU (user+sys) come from GNU
// time, peak RSS is that child's maxRSS; `ms` is the child's own figure for its work (without Node's start-up).
// Printed: medians, the ratio of the medians and the median of per-round ratios. --gnu-tar adds one run of
// `gzip -dc | tar -t` fed the same layer streams; --bomb N adds a streamed N GiB zero-file layer walked with default
// limits.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openImage } from '../src/image/index.ts';
import { compressionOfMagic } from '../src/walk/index.ts';
import { median, timeProcess } from './measure.ts';

const here = import.meta.dirname;
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '3' },
    bomb: { type: 'string' },
    'gnu-tar': { type: 'boolean' },
  },
});
const fixture = join(process.env.ZEROCVE_FIXTURES ?? resolve(here, '..', '.cache', 'fixtures'), 'ml', 'oci');
const target = positionals[0] ?? (existsSync(fixture) ? `oci-dir:${fixture}` : undefined);
if (!target) throw new Error(`usage: inspect-bench.ts TARGET (no default fixture at ${fixture})`);
const runs = Math.max(1, Number(values.runs));
const NODE_FLAGS = ['--max-semi-space-size=16'];

interface ChildResult {
  /** the child's own figure (ms), or the process wall time for the CLI */
  ms: number;
  wall: number;
  cpu: number;
  maxRssMiB: number;
  uncompressedBytes?: number;
  entries?: number;
  fromCache?: boolean;
}
const work = mkdtempSync(join(tmpdir(), 'zerocve-inspect-bench-'));
function timed(args: string[]): { stdout: string; wall: number; cpu: number; maxRssMiB: number } {
  const t = timeProcess(process.execPath, args, { keepStdout: true });
  return { stdout: t.stdout, wall: t.wall * 1000, cpu: t.cpu * 1000, maxRssMiB: t.rssMiB };
}
const child = (script: string, args: string[]): ChildResult => {
  const t = timed([...NODE_FLAGS, join(here, script), ...args]);
  return { ...t, ...JSON.parse(t.stdout.trim().split('\n').pop()!) };
};
const cli = (cacheDir: string): ChildResult => {
  const t = timed([
    ...NODE_FLAGS,
    join(here, '..', 'bin', 'zerocve.js'),
    'inspect',
    target!,
    '-q',
    '-f',
    'json',
    '--cache-dir',
    cacheDir,
  ]);
  return { ...t, ms: t.wall };
};

async function gnuTarList(): Promise<number> {
  const image = await openImage(target!, { offline: true });
  const t0 = performance.now();
  for (const layer of image.layers) {
    const blob = await layer.open();
    const it = blob[Symbol.asyncIterator]();
    const first = await it.next();
    const head: Buffer = first.done ? Buffer.alloc(0) : first.value;
    const c = compressionOfMagic(head);
    const cmd =
      c === 'gzip'
        ? 'gzip -dc | tar -t >/dev/null 2>&1'
        : c === 'zstd'
          ? 'zstd -dc | tar -t >/dev/null 2>&1'
          : 'tar -t >/dev/null 2>&1';
    const p = spawn('sh', ['-c', cmd], { stdio: ['pipe', 'ignore', 'inherit'] });
    const done = new Promise<void>((res, rej) =>
      p.on('close', (code) => (code === 0 ? res() : rej(new Error(`${cmd} exited ${code}`)))),
    );
    const write = (b: Buffer): Promise<void> =>
      new Promise((res) => {
        if (p.stdin.write(b)) res();
        else p.stdin.once('drain', res);
      });
    await write(head);
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      await write(r.value);
    }
    p.stdin.end();
    await done;
  }
  return performance.now() - t0;
}

try {
  const load = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const out = [`target: ${target}`, `load average before: ${load()}`];
  const cacheWalk = join(work, 'cache-walk');
  const cacheCli = join(work, 'cache-cli');
  const gunzip: ChildResult[] = [];
  const cold: ChildResult[] = [];
  const cliCold: ChildResult[] = [];
  const kinds = [
    () => gunzip.push(child('walk-gunzip.ts', [target])),
    () => {
      rmSync(cacheWalk, { recursive: true, force: true });
      cold.push(child('walk-run.ts', [target, '--cache', cacheWalk]));
    },
    () => {
      rmSync(cacheCli, { recursive: true, force: true });
      cliCold.push(cli(cacheCli));
    },
  ];
  for (let i = 0; i < runs; i++) for (let k = 0; k < kinds.length; k++) kinds[(k + i) % kinds.length]();
  const warm: ChildResult[] = [];
  const cliWarm: ChildResult[] = [];
  for (let i = 0; i < runs; i++) {
    warm.push(child('walk-run.ts', [target, '--cache', cacheWalk]));
    cliWarm.push(cli(cacheCli));
  }
  out.push(`load average after: ${load()}`);
  const c0 = cold[0];
  const mib = (c0.uncompressedBytes ?? 0) / 1048576;
  const s = (ms: number): string => `${(ms / 1000).toFixed(2).padStart(6)} s`;
  const med = (rs: ChildResult[], k: 'ms' | 'wall' | 'cpu'): number => median(rs.map((r) => r[k]));
  const peak = (rs: ChildResult[]): string => `${Math.max(...rs.map((r) => r.maxRssMiB))} MiB`.padStart(8);
  const line = (name: string, rs: ChildResult[], note = ''): string =>
    `${name.padEnd(13)} ${s(med(rs, 'ms'))} (process ${s(med(rs, 'wall'))} wall, ${s(med(rs, 'cpu'))} CPU) ` +
    `peak ${peak(rs)}  ${note}`;
  const ratio = (a: ChildResult[], b: ChildResult[], k: 'ms' | 'wall' | 'cpu'): string =>
    `${(med(a, k) / med(b, k)).toFixed(2)}× (per round ${median(a.map((r, i) => r[k] / b[i][k])).toFixed(2)}×)`;
  out.push(
    `layers: ${mib.toFixed(0)} MiB uncompressed, ${c0.entries} entries; medians of ${runs} interleaved ` +
      `round(s); node ${process.version}, flags ${NODE_FLAGS.join(' ')}`,
    line('node-gunzip', gunzip, `${(mib / (med(gunzip, 'ms') / 1000)).toFixed(0)} MiB/s`),
    line('walk cold', cold, `${ratio(cold, gunzip, 'ms')} node-gunzip; CPU ${ratio(cold, gunzip, 'cpu')}`),
    line('inspect cold', cliCold, `process wall ${ratio(cliCold, gunzip, 'wall')} node-gunzip's process`),
    line('walk warm', warm, `cache hit: ${warm.every((w) => w.fromCache)}`),
    line('inspect warm', cliWarm, '(CLI start to exit)'),
  );
  if (values['gnu-tar']) {
    const tarMs = await gnuTarList();
    out.push(`gzip|tar -t   ${s(tarMs)} (external processes; walk cold = ${(med(cold, 'ms') / tarMs).toFixed(2)}×)`);
  }
  if (values.bomb) {
    const gib = Number(values.bomb);
    const bomb = child('walk-run.ts', [`bomb:${gib}`]);
    out.push(
      line(
        `bomb ${gib} GiB`,
        [bomb],
        `${((bomb.uncompressedBytes ?? 0) / 1024 ** 3).toFixed(1)} GiB of zeros, default limits`,
      ),
    );
  }
  process.stdout.write(out.join('\n') + '\n');
} finally {
  rmSync(work, { recursive: true, force: true });
}
