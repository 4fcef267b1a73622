// Inspect benchmark: how fast and how lean is the layer walk on a real image?
//   node bench/inspect-bench.ts [TARGET] [--runs N] [--bomb GiB]
// TARGET: oci-dir:, oci-archive: or docker-archive: (default: the ML fixture under .cache/fixtures/ml/oci).
// Prints, for the same layers, in the same run:
//   node-gunzip   Node's gunzip/zstd with 256 KiB chunks, bytes dropped (the floor for a Node walker)
//   gzip|tar -t   `gzip -dc | tar -t` (or zstd -dc / plain tar -t) fed the same verified layer stream
//   walk cold     walkImage with an empty cache (no analyzers: the walk itself), and its ratio to both
//   walk warm     the same with the cache filled (no layer opened)
// Every measured run is a child process; peak RSS is that child's maxRSS. --bomb N adds a streamed N GiB zero-file
// layer (generated and gzip-compressed on the fly) walked with default limits.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openImage } from '../src/image/index.ts';
import { compressionOfMagic } from '../src/walk/index.ts';

const here = import.meta.dirname;
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: 'string', default: '1' }, bomb: { type: 'string' } },
});
const fixture = resolve(here, '..', '.cache', 'fixtures', 'ml', 'oci');
const target = positionals[0] ?? (existsSync(fixture) ? `oci-dir:${fixture}` : undefined);
if (!target) throw new Error('usage: inspect-bench.ts TARGET (no default fixture at .cache/fixtures/ml/oci)');
const runs = Math.max(1, Number(values.runs));
const NODE_FLAGS = ['--max-semi-space-size=16'];

interface ChildResult {
  ms: number;
  maxRssMiB: number;
  uncompressedBytes?: number;
  entries?: number;
  fromCache?: boolean;
}
const child = (script: string, args: string[]): ChildResult =>
  JSON.parse(
    execFileSync(process.execPath, [...NODE_FLAGS, join(here, script), ...args], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    })
      .trim()
      .split('\n')
      .pop()!,
  );
const best = (f: () => ChildResult): ChildResult => {
  let b: ChildResult | undefined;
  for (let i = 0; i < runs; i++) {
    const r = f();
    if (!b || r.ms < b.ms) b = r;
  }
  return b!;
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
        ? 'gzip -dc | tar -t >/dev/null'
        : c === 'zstd'
          ? 'zstd -dc | tar -t >/dev/null'
          : 'tar -t >/dev/null';
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

const cache = mkdtempSync(join(tmpdir(), 'zerocve-bench-cache-'));
try {
  const gunzip = best(() => child('walk-gunzip.ts', [target]));
  let tarMs = Infinity;
  for (let i = 0; i < runs; i++) tarMs = Math.min(tarMs, await gnuTarList());
  const cold = best(() => {
    rmSync(cache, { recursive: true, force: true });
    return child('walk-run.ts', [target, '--cache', cache]);
  });
  const warm = best(() => child('walk-run.ts', [target, '--cache', cache]));
  const mib = (cold.uncompressedBytes ?? 0) / 1048576;
  const line = (name: string, ms: number, rss: string, note = ''): string =>
    `${name.padEnd(14)} ${(ms / 1000).toFixed(2).padStart(7)} s ${rss.padStart(9)}  ${note}`;
  const out = [
    `target: ${target}`,
    `layers: ${mib.toFixed(0)} MiB uncompressed, ${cold.entries} entries; best of ${runs} run(s); node ${process.version}, flags ${NODE_FLAGS.join(' ')}`,
    line('node-gunzip', gunzip.ms, `${gunzip.maxRssMiB} MiB`, `${(mib / (gunzip.ms / 1000)).toFixed(0)} MiB/s`),
    line('gzip|tar -t', tarMs, '-', '(external processes)'),
    line(
      'walk cold',
      cold.ms,
      `${cold.maxRssMiB} MiB`,
      `${(cold.ms / gunzip.ms).toFixed(2)}× node-gunzip, ${(cold.ms / tarMs).toFixed(2)}× gzip|tar -t`,
    ),
    line('walk warm', warm.ms, `${warm.maxRssMiB} MiB`, `cache hit: ${warm.fromCache}`),
  ];
  if (values.bomb) {
    const gib = Number(values.bomb);
    const bomb = child('walk-run.ts', [`bomb:${gib}`]);
    out.push(
      line(
        `bomb ${gib} GiB`,
        bomb.ms,
        `${bomb.maxRssMiB} MiB`,
        `${((bomb.uncompressedBytes ?? 0) / 1024 ** 3).toFixed(1)} GiB of zeros, default limits`,
      ),
    );
  }
  process.stdout.write(out.join('\n') + '\n');
} finally {
  rmSync(cache, { recursive: true, force: true });
}
