// What every command shares: the flag sets, and turning flag values into use-case options.
import type { DeviceCodeSummary } from '../../core/analysis.ts';
import type { FlagSpec, FlagValues } from '../options.ts';
import { COMMON_FLAGS, IMAGE_FLAGS, parseCommand, helpText, defaultCacheDir } from '../options.ts';
import { openImageOptions, parseHours, type Progress } from '../io.ts';
import { formatBytes } from '../../report/index.ts';

import { EXIT } from '../exit.ts';
import { UsageError } from '../../core/errors.ts';
import { SEVERITIES, type Severity } from '../../core/advisory.ts';
import {
  chooseGpuArchs,
  parseScanners,
  SCANNERS,
  openLocalDb,
  type GpuArchChoice,
  type LocalDb,
} from '../../app/index.ts';
import { readIgnoreFile, readOpenVex, type PolicyOptions, type VexStatement } from '../../policy/index.ts';
import { detectDriverVersion, queryComputeCaps, validDriverVersion } from '../../runtime/index.ts';
import { defaultDbPath } from '../../vulndb/index.ts';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const SCAN_FLAGS: Record<string, FlagSpec> = {
  ...COMMON_FLAGS,
  ...IMAGE_FLAGS,
  format: {
    type: 'string',
    short: 'f',
    help: 'FORMAT: table, json, sarif, cyclonedx-json, spdx-json, markdown, html (default table)',
  },
  out: {
    type: 'string',
    short: 'o',
    multiple: true,
    help: 'FORMAT[=FILE]: an output; repeat for several (e.g. -o table -o sarif=scan.sarif)',
  },
  output: { type: 'string', help: 'FILE: write the --format output to FILE (written whole or not at all)' },
  severity: {
    type: 'string',
    multiple: true,
    help: 'LIST: severities to show, e.g. critical,high (others are suppressed and counted)',
  },
  'fail-on': { type: 'string', help: 'SEVERITY: exit 1 when a shown finding is at or above it' },
  'ignore-unfixed': { type: 'boolean', help: 'suppress findings that have no fixed version' },
  'ignore-file': { type: 'string', help: 'FILE: ignore rules (default ./.zerocve-ignore.yaml if present)' },
  vex: { type: 'string', multiple: true, help: 'FILE: OpenVEX document(s); not_affected/fixed statements suppress' },
  'driver-version': {
    type: 'string',
    help: 'VERSION: host NVIDIA driver (default: read from /proc/driver/nvidia/version or nvidia-smi)',
  },
  'show-suppressed': { type: 'boolean', help: 'list suppressed findings too (table, markdown)' },
  scanners: { type: 'string', multiple: true, help: `LIST: ${SCANNERS.join(',')} (default all but dup)` },
  'gpu-arch': {
    type: 'string',
    multiple: true,
    help: 'LIST: GPU architectures served, e.g. sm_80,sm_90 (for prunable device code)',
  },
  db: { type: 'string', help: 'FILE: vulnerability database (default ~/.cache/zerocve/db/zerocve.db)' },
  'db-max-age': {
    type: 'string',
    help:
      'DURATION: update the database before matching when it is missing or older than this, e.g. 24h, ' +
      '7d (default 24h)',
  },
  'skip-db-update': {
    type: 'boolean',
    help: 'never update the database automatically (as --offline does); a missing database is an error',
  },
  'db-base-url': {
    type: 'string',
    help: 'URL: mirror the automatic update downloads the feeds from (same paths as db update --base-url)',
  },
  'db-repository': {
    type: 'string',
    help:
      'REF: pull the database `zerocve db push` published there instead of downloading the feeds (env ' +
      'ZEROCVE_DB_REPOSITORY)',
  },
  'allow-no-db': {
    type: 'boolean',
    help: 'scan without a vulnerability database (no CVE matching) instead of failing',
  },
  files: { type: 'boolean', help: 'include the files each package owns in json/SBOM outputs' },
  merge: {
    type: 'string',
    multiple: true,
    help:
      "FILE: a Trivy or Grype JSON report of the same image, shown beside zerocve's findings (who " +
      'reported what, where they disagree); repeat for several',
  },
};

export function severityOf(v: string, flag: string): Severity {
  const s = v.toLowerCase();
  if (!(SEVERITIES as readonly string[]).includes(s))
    throw new UsageError(`${flag}: unknown severity '${v}' (expected ${SEVERITIES.join(', ')})`);
  return s as Severity;
}

export function dbPathOf(values: FlagValues, env: NodeJS.ProcessEnv): string {
  return (values.db as string | undefined) ?? defaultDbPath({ home: homedir(), cacheDir: env.XDG_CACHE_HOME });
}

export function driverVersionOf(values: FlagValues): string | undefined {
  const v = values['driver-version'] as string | undefined;
  if (v !== undefined) {
    if (!validDriverVersion(v)) throw new UsageError(`--driver-version: '${v}' is not a driver version like 550.54.15`);
    return v;
  }
  return detectDriverVersion();
}

/** --gpu-arch, else the GPUs nvidia-smi reports on this host, else none (README: `--gpu-arch` defaults). */
export function gpuArchsOf(values: FlagValues): Promise<GpuArchChoice> {
  return chooseGpuArchs(values['gpu-arch'] as string[] | undefined, () => queryComputeCaps());
}

/** Says where the GPU archs came from when it matters: the image has device code and --gpu-arch was not given. */
export function noteGpuArchs(values: FlagValues, gpu: GpuArchChoice, section: DeviceCodeSummary | undefined): void {
  if (values.quiet || gpu.source === 'flag' || !section?.files.length) return;
  process.stderr.write(`zerocve: ${gpu.note}\n`);
}

export function policyOf(values: FlagValues, cwd: string): PolicyOptions {
  const ignorePath =
    (values['ignore-file'] as string | undefined) ??
    (existsSync(join(cwd, '.zerocve-ignore.yaml')) ? join(cwd, '.zerocve-ignore.yaml') : undefined);
  const vex: VexStatement[] = ((values.vex as string[] | undefined) ?? []).flatMap((f) => readOpenVex(f));
  const severities = (values.severity as string[] | undefined)
    ?.flatMap((s) => s.split(','))
    .filter(Boolean)
    .map((s) => severityOf(s.trim(), '--severity'));
  return {
    ignoreRules: ignorePath ? readIgnoreFile(ignorePath) : [],
    vex,
    ignoreUnfixed: values['ignore-unfixed'] === true,
    severities: severities?.length ? severities : undefined,
    failOn: values['fail-on'] ? severityOf(values['fail-on'] as string, '--fail-on') : undefined,
  };
}

export const scannersOf = (values: FlagValues) => parseScanners(values.scanners as string[] | undefined);

/** Parse a command's arguments; with --help print its help and return the exit code instead. */
export function parseOrHelp(
  name: string,
  synopsis: string,
  description: string,
  flags: Record<string, FlagSpec>,
  args: string[],
  positionals: number,
  what = 'TARGET',
): { values: FlagValues; positionals: string[] } | number {
  const parsed = parseCommand(args, flags, process.env, process.cwd(), name);
  if (parsed.values.help) {
    process.stdout.write(helpText(name, synopsis, description, flags));
    return EXIT.ok;
  }
  if (parsed.positionals.length !== positionals)
    throw new UsageError(
      `${name}: expected ${positionals === 1 ? `one ${what}` : `${positionals} targets`}, got ` +
        `${parsed.positionals.length} (zerocve ${name} --help)`,
    );
  return parsed;
}

/**
 * The local database as a scan's advisory data: updated automatically for the image's ecosystems unless --offline
 * or --skip-db-update, with progress on the terminal. The caller closes it.
 */
export function localDbOf(values: FlagValues, env: NodeJS.ProcessEnv, progress: Progress): LocalDb {
  const auto = values.offline !== true && values['skip-db-update'] !== true;
  const maxAgeHours =
    values['db-max-age'] === undefined ? 24 : parseHours(values['db-max-age'] as string, '--db-max-age');
  const repository = values['db-repository'] as string | undefined;
  return openLocalDb({
    dbPath: dbPathOf(values, env),
    allowNoDb: values['allow-no-db'] === true,
    ...(auto && repository ? { repository: repositoryUpdateOf(repository, values, env, progress, maxAgeHours) } : {}),
    ...(auto && !repository
      ? {
          autoUpdate: {
            maxAgeHours,
            cacheDir: join((values['cache-dir'] as string | undefined) ?? defaultCacheDir(env), 'feeds'),
            baseUrl: values['db-base-url'] as string | undefined,
            onProgress: (e) =>
              progress.update(
                `zerocve: updating the vulnerability database: ${e.phase} ${e.source}` +
                  `${e.bytes ? ` ${(e.bytes / 1e6).toFixed(1)} MB` : ''}` +
                  `${e.records ? ` ${e.records} records` : ''}`,
              ),
            onWait: (h) => progress.update(`zerocve: waiting for process ${h.pid} updating the vulnerability database`),
          },
        }
      : {}),
  });
}

/**
 * `--db-repository REF` as auto-update options: the registry flags of the command (--insecure, --username/--password,
 * ZEROCVE_REGISTRY_*, the Docker config's credentials) apply to REF too; progress and waits on the terminal.
 */
export function repositoryUpdateOf(
  reference: string,
  values: FlagValues,
  env: NodeJS.ProcessEnv,
  progress: Progress,
  maxAgeHours: number,
) {
  const io = openImageOptions(values, env);
  return {
    reference,
    maxAgeHours,
    insecure: io.insecure,
    auth: io.auth,
    dockerConfigPath: io.dockerConfigPath,
    onProgress: (p: { bytes: number; total: number }) =>
      progress.update(
        `zerocve: updating the vulnerability database: pull ${reference} ${formatBytes(p.bytes)} of ` +
          `${formatBytes(p.total)}`,
      ),
    onWait: (h: { pid: number }) =>
      progress.update(`zerocve: waiting for process ${h.pid} updating the vulnerability database`),
  };
}
