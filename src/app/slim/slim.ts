// `zerocve slim`: cut an image down to what its workload uses, and prove the result still runs it.
//
//   extract ─► run each command traced (strace, in namespaces) ─► keep set ─► one-layer image (staged)
//           ─► extract the written image afresh ─► run each command again ─► same exit code (and stdout)?
//                                                                            yes: publish   no: delete, fail loudly
import { randomUUID } from 'node:crypto';
import type { ImageOutput as SlimOutput, SlimCommand, SlimResult } from '../../core/results.ts';
export type { SlimOutput, SlimCommand, SlimResult };
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { InputError, InternalError, UsageError } from '../../core/errors.ts';
import { openImage, openOciLayout, initLayout, writeImage, writeIndex, writeLayer } from '../../image/index.ts';
import { runInRoot, type RunResult } from '../../runtime/index.ts';
import { extractImage } from '../../walk/index.ts';
import { computeKeepSet } from './keep-set.ts';
import { DPKG_STATUS, dpkgKeep, rewriteDpkgStatus } from './dpkg.ts';
import { firstMissingPath, lastLine } from './missing-path.ts';
import { resolveInRoot, snapshotRoot } from './root-fs.ts';
import { addKeptToTar, type KeptLayerStats } from './write-layer.ts';
import { probeHttp } from './probe-http.ts';
import { publishLayout } from '../publish.ts';

export interface SlimOptions {
  /**
   * argv of each workload command, run in the image's env and working directory (as root; the image's user is kept in
   * the config)
   */
  run: string[][];
  /** paths (a directory keeps its whole tree) or globs (`*`, `?`, `**`) always kept */
  keep?: string[];
  /** after starting each command, wait for http://127.0.0.1:PORT/ to answer, then stop it (a server workload) */
  probeHttp?: number;
  /** give the workload the host's network (default: none; forced on by probeHttp) */
  network?: boolean;
  /** the slim run must print the same stdout as the original run (default: exit codes only) */
  verifyOutput?: boolean;
  output: SlimOutput;
  /** where the private extraction lives (a fresh folder is made inside; default the OS temp dir) */
  workDir?: string;
  /** per command run (default 10 minutes) */
  timeoutMs?: number;
  /** mtime of directories in the slim layer (default 0) */
  mtime?: number;
  signal?: AbortSignal;
  onProgress?: (e: SlimProgress) => void;
}

export interface SlimProgress {
  phase: 'extract' | 'trace' | 'keep' | 'write' | 'verify' | 'done';
  message: string;
}

const DEFAULT_ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];
const show = (argv: string[]): string =>
  JSON.stringify(argv.join(' ').length > 120 ? `${argv.join(' ').slice(0, 120)}…` : argv.join(' '));

export async function slimImage(target: string, options: SlimOptions): Promise<SlimResult> {
  const { signal, onProgress } = options;
  if (options.run.length === 0 || options.run.some((a) => a.length === 0))
    throw new UsageError(`slim ${target}: give at least one non-empty command to run`);
  if (
    options.probeHttp !== undefined &&
    !(Number.isInteger(options.probeHttp) && options.probeHttp > 0 && options.probeHttp < 65536)
  ) {
    throw new UsageError(`slim ${target}: probe port ${options.probeHttp} is not a TCP port`);
  }
  const outPath = resolve(options.output.path);
  if (!existsSync(dirname(outPath)))
    throw new UsageError(`slim ${target}: output folder ${dirname(outPath)} does not exist`);
  const tag = options.output.tag ?? 'latest';
  const work = mkdtempSync(join(options.workDir ?? tmpdir(), 'zerocve-slim-'));
  const staging = options.output.kind === 'oci-dir' ? `${outPath}.zerocve-tmp-${randomUUID()}` : join(work, 'layout');
  try {
    onProgress?.({ phase: 'extract', message: `extracting ${target}` });
    const image = await openImage(target, { signal });
    const root = join(work, 'root');
    const extracted = await extractImage(image, root, { signal });
    const problems = [...extracted.problems];
    const snapshot = snapshotRoot(root);

    const env = image.config.env?.length ? image.config.env : DEFAULT_ENV;
    const cwd = image.config.workingDir || '/';
    const network = options.network === true || options.probeHttp !== undefined;
    const runOpts = { env, cwd, network, timeoutMs: options.timeoutMs ?? 600_000, signal };
    const run = (where: string, argv: string[], trace: boolean): Promise<RunResult> =>
      options.probeHttp !== undefined
        ? probeHttp(where, argv, { ...runOpts, trace, port: options.probeHttp })
        : runInRoot(where, argv, { ...runOpts, trace });

    const commands: SlimCommand[] = [];
    const originals: RunResult[] = [];
    const traced = new Set<string>();
    for (const argv of options.run) {
      onProgress?.({ phase: 'trace', message: `running ${show(argv)} traced` });
      const r = await run(root, argv, true);
      if (r.timedOut || r.exitCode !== 0) {
        const why = r.timedOut ? 'timed out' : `exit ${r.exitCode}${r.signal ? ` (${r.signal})` : ''}`;
        throw new InputError(
          `slim ${target}: command ${show(argv)} fails in the original image (${why}): ` +
            `${lastLine(r.stderr) || 'no stderr'}`,
        );
      }
      if (!r.trace?.chrooted)
        throw new InternalError(`slim ${target}: the trace of ${show(argv)} recorded nothing (strace saw no chroot)`);
      for (const p of r.trace.files.keys()) traced.add(p);
      originals.push(r);
      commands.push({ argv, exitCode: r.exitCode, durationMs: r.durationMs, touched: r.trace.files.size });
    }

    onProgress?.({ phase: 'keep', message: `computing the keep set from ${traced.size} touched paths` });
    const extra = [cwd, DPKG_STATUS];
    const keep = computeKeepSet({ root, snapshot, traced, keep: options.keep, env, extra });
    const packages = dpkgKeep(root, snapshot, keep.paths);
    let dropped: string[] = [];
    const status = resolveInRoot(root, DPKG_STATUS).real;
    if (status !== undefined && snapshot.entries.get(status)?.type === 'file' && packages.length > 0) {
      const names = new Set(packages.filter((p) => p.kept > 0).map((p) => p.name));
      const rewritten = rewriteDpkgStatus(readFileSync(join(root, status), 'utf8'), names);
      dropped = rewritten.dropped;
      writeFileSync(join(root, status), rewritten.text);
      for (const n of names) {
        const r = resolveInRoot(root, `/var/lib/dpkg/info/${n}.list`);
        for (const l of r.links) keep.paths.add(l);
        if (r.real) keep.paths.add(r.real);
      }
    }

    onProgress?.({ phase: 'write', message: `writing ${keep.paths.size} paths` });
    rmSync(staging, { recursive: true, force: true });
    initLayout(staging);
    let layerStats: KeptLayerStats = { entries: 0, files: 0, bytes: 0, missing: [] };
    const layer = await writeLayer(
      staging,
      async (tar) => {
        layerStats = await addKeptToTar(tar, root, snapshot, keep.paths, { mtime: options.mtime ?? 0, signal });
      },
      { compression: 'gzip' },
    );
    for (const m of layerStats.missing)
      problems.push(`${m}: kept but gone after the workload ran (or a device node): not in the slim layer`);
    const c = image.config;
    const manifest = await writeImage(staging, {
      layers: [layer],
      platform: c.platform,
      config: {
        user: c.user,
        env: c.env,
        entrypoint: c.entrypoint,
        cmd: c.cmd,
        workingDir: c.workingDir,
        labels: c.labels,
        exposedPorts: c.exposedPorts,
      },
      created: c.created,
      history: [
        {
          created: c.created,
          created_by: `zerocve slim ${target}`,
          comment: `kept ${keep.paths.size} paths used by ${options.run.length} command(s)`,
        },
      ],
    });
    writeIndex(staging, [{ ...manifest, tag }]);
    rmSync(root, { recursive: true, force: true }); // the original tree is no longer needed; free the space

    onProgress?.({ phase: 'verify', message: 'running every command in a fresh extraction of the slim image' });
    const slim = await openOciLayout(staging, { tag, target: `oci-dir:${staging}`, signal });
    const verifyRoot = join(work, 'verify');
    await extractImage(slim, verifyRoot, { signal });
    for (let i = 0; i < options.run.length; i++) {
      const argv = options.run[i];
      const r = await run(verifyRoot, argv, false);
      const stdoutMatches = r.stdout === originals[i].stdout;
      commands[i].verify = { exitCode: r.exitCode, durationMs: r.durationMs, stdoutMatches };
      if (r.exitCode !== originals[i].exitCode || r.timedOut || (options.verifyOutput && !stdoutMatches)) {
        const missing = firstMissingPath(r.stderr);
        const what =
          r.exitCode !== originals[i].exitCode || r.timedOut
            ? `exits ${r.timedOut ? 'by timeout' : r.exitCode} in the slim image but ` +
              `${originals[i].exitCode} in the original`
            : 'prints a different stdout in the slim image';
        throw new InputError(
          `slim ${target}: verification failed: command ${show(argv)} ${what}` +
            `${missing ? `; missing: ${missing} (add it with --keep)` : `; stderr: ${lastLine(r.stderr) || 'none'}`}` +
            `; nothing written to ${outPath}`,
        );
      }
    }

    await publishLayout(
      staging,
      { kind: options.output.kind, path: outPath },
      { manifest, repoTag: options.output.tag },
    );
    onProgress?.({ phase: 'done', message: `${outPath}: ${layerStats.files} files, ${layerStats.bytes} bytes` });
    const full = packages.filter((p) => p.state === 'full').map((p) => p.name);
    const partial = packages.filter((p) => p.state === 'partial').map((p) => p.name);
    const removed = packages.filter((p) => p.state === 'none').map((p) => p.name);
    return {
      target,
      output: { ...options.output, path: outPath, tag, manifestDigest: manifest.digest },
      before: { files: snapshot.files, bytes: snapshot.bytes },
      after: { files: layerStats.files, bytes: layerStats.bytes, entries: layerStats.entries, layerBytes: layer.size },
      keptPaths: keep.paths.size,
      keptForLoader: keep.viaLoader,
      unresolvedLibraries: keep.unresolved,
      packages: { full, partial, removed, details: packages },
      dpkgStatusDropped: dropped,
      commands,
      problems,
    };
  } finally {
    if (options.output.kind === 'oci-dir') rmSync(staging, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}
