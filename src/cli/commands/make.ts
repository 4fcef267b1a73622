// `zerocve slim` and `zerocve build`: make minimal images.
import { UsageError } from '../../core/errors.ts';
import {
  buildImage,
  checkFreshness,
  readBuildSpec,
  parseOutputTarget,
  slimAndReport,
  openLocalDb,
} from '../../app/index.ts';
import type { FlagSpec } from '../options.ts';
import { COMMON_FLAGS } from '../options.ts';
import { createProgress, openImageOptions } from '../io.ts';
import { jsonText, renderSlimText, slimJson, renderBuildText, renderFreshnessText } from '../../report/index.ts';
import { dbPathOf, parseOrHelp } from './common.ts';

import { EXIT } from '../exit.ts';
import type { Command } from './scan.ts';

/** Split a command line into words as a POSIX shell would for plain words, quotes and backslashes (no expansion). */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote === "'") {
      if (c === "'") quote = null;
      else cur += c;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1])) cur += line[++i];
      else cur += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
      continue;
    }
    if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
      continue;
    }
    if (/\s/.test(c)) {
      if (inWord) {
        words.push(cur);
        cur = '';
        inWord = false;
      }
      continue;
    }
    cur += c;
    inWord = true;
  }
  if (quote) throw new UsageError(`--run ${JSON.stringify(line)}: unterminated ${quote} quote`);
  if (inWord) words.push(cur);
  return words;
}

const SLIM_FLAGS: Record<string, FlagSpec> = {
  ...COMMON_FLAGS,
  run: {
    type: 'string',
    multiple: true,
    help: "CMD: a workload command, e.g. --run 'python3 /app/train.py' (required; repeat for several)",
  },
  keep: { type: 'string', multiple: true, help: 'PATH: a path or glob always kept (a directory keeps its tree)' },
  'probe-http': {
    type: 'string',
    help: 'PORT: the workload is a server: wait until http://127.0.0.1:PORT/ answers, then stop it',
  },
  network: { type: 'boolean', help: 'give the workload the host network (default: none)' },
  'verify-output': { type: 'boolean', help: 'the slim image must print the same stdout as the original' },
  out: {
    type: 'string',
    short: 'o',
    help: 'TARGET: oci-dir:PATH[:tag], oci-archive:PATH or docker-archive:PATH (required)',
  },
  db: { type: 'string', help: 'FILE: vulnerability database for the before/after CVE counts (optional)' },
  timeout: { type: 'string', help: 'SECONDS: per command (default 600)' },
  format: { type: 'string', short: 'f', help: 'FORMAT: table or json' },
};

export const slim: Command = {
  async run(args) {
    const p = parseOrHelp(
      'slim',
      "IMAGE --run 'CMD' [--run …] -o oci-dir:OUT [flags]",
      'Run the workload in the image (namespaces, no network), trace every file it touches, keep those plus ' +
        'their symlinks,\nshared libraries and a small runtime baseline, write one-layer image, and ' +
        're-run the workload in it: a slim image\n' +
        'that does not pass its own workload is never written. Needs root, strace and unshare.',
      SLIM_FLAGS,
      args,
      1,
      'IMAGE',
    );
    if (typeof p === 'number') return p;
    const { values, positionals } = p;
    const runs = ((values.run as string[] | undefined) ?? []).map(splitCommand);
    if (!runs.length) throw new UsageError("slim: give the workload with --run 'CMD'");
    if (!values.out) throw new UsageError('slim: -o TARGET is required (e.g. -o oci-dir:slim)');
    const output = parseOutputTarget(values.out as string);
    const probe = values['probe-http'] === undefined ? undefined : Number(values['probe-http']);
    const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
    if (timeout !== undefined && !(timeout > 0)) throw new UsageError('slim: --timeout must be a number of seconds');
    const progress = createProgress(values.quiet !== true);
    // the before/after scans use the database as it is (no download inside a slim); without one they still run
    const dbs = openLocalDb({ dbPath: dbPathOf(values, process.env), allowNoDb: true });
    let r;
    try {
      r = await slimAndReport(positionals[0], {
        run: runs,
        keep: values.keep as string[] | undefined,
        probeHttp: probe,
        network: values.network === true,
        verifyOutput: values['verify-output'] === true,
        output,
        timeoutMs: timeout ? timeout * 1000 : undefined,
        onProgress: (e) => progress.update(`zerocve: ${e.message}`),
        scan: {
          cacheDir: null,
          scanners: new Set(['vuln', 'surface']),
          advisories: dbs.provide,
          policy: {},
          open: {},
        },
      });
    } finally {
      dbs.close();
      progress.done();
    }
    process.stdout.write(
      values.format === 'json' ? slimJson(r) : renderSlimText(r, positionals[0], values.out as string),
    );
    return EXIT.ok;
  },
};

const BUILD_FLAGS: Record<string, FlagSpec> = {
  ...COMMON_FLAGS,
  out: {
    type: 'string',
    short: 'o',
    help: 'TARGET: oci-dir:PATH[:tag], oci-archive:PATH or docker-archive:PATH (required)',
  },
  push: { type: 'string', help: 'REF: also push the image, with its SBOM and provenance, to a registry' },
  insecure: { type: 'boolean', help: 'plain HTTP / no TLS verification for --push' },
  check: {
    type: 'boolean',
    help: 'do not build: say which packages of the image at -o have newer versions or security fixes',
  },
  'keep-rootfs': { type: 'string', help: 'DIR: keep the unpacked root file system there (to run or inspect it)' },
  format: { type: 'string', short: 'f', help: 'FORMAT: table or json (summary)' },
};

export const build: Command = {
  async run(args) {
    const p = parseOrHelp(
      'build',
      'image.yaml -o oci-dir:OUT [flags]',
      'Build a minimal image declaratively from Debian packages (mmdebstrap): prod variant without shells ' +
        'or package\nmanagers, non-root user, reproducible digest, CycloneDX SBOM and SLSA provenance ' +
        'attached as OCI referrers.',
      BUILD_FLAGS,
      args,
      1,
      'image.yaml',
    );
    if (typeof p === 'number') return p;
    const { values, positionals } = p;
    if (!values.out) throw new UsageError('build: -o TARGET is required (e.g. -o oci-dir:out:latest)');
    const output = parseOutputTarget(values.out as string);
    const json = values.format === 'json';
    if (values.check) {
      const spec = readBuildSpec(positionals[0]);
      const target =
        output.kind === 'oci-dir'
          ? `oci-dir:${output.path}${output.tag ? `:${output.tag}` : ''}`
          : `${output.kind}:${output.path}`;
      const r = await checkFreshness(spec, target);
      process.stdout.write(json ? jsonText(r) : renderFreshnessText(r));
      return r.updates.length ? EXIT.policyFailed : EXIT.ok;
    }
    const progress = createProgress(values.quiet !== true);
    let r;
    try {
      r = await buildImage(positionals[0], {
        output,
        push: values.push as string | undefined,
        insecure: values.insecure === true,
        auth: openImageOptions(values, process.env).auth,
        dockerConfigPath: openImageOptions(values, process.env).dockerConfigPath,
        keepRootfs: values['keep-rootfs'] as string | undefined,
        onProgress: (m) => progress.update(`zerocve: ${m}`),
      });
    } finally {
      progress.done();
    }
    process.stdout.write(json ? jsonText(r) : renderBuildText(r, values.out as string));
    return EXIT.ok;
  },
};
