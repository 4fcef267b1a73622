// `zerocve scan`, `zerocve sbom`, `zerocve compare`, `zerocve bloat`, `zerocve inspect`: read an image, report.
import type { Writable } from 'node:stream';
import type { ScanReport, ReportWarning } from '../../core/report.ts';
import {
  REPORT_FORMATS,
  SBOM_FORMATS,
  COMPARE_FORMATS,
  reporterFor,
  sbomReporterFor,
  compareReports,
  compareReporterFor,
  renderBloatTable,
  formatBytes,
  jsonText,
  bloatView,
  renderInspectText,
} from '../../report/index.ts';
import { scanTarget, bloatTarget, inspectTarget, type ScanOptions } from '../../app/index.ts';
import type { FlagSpec, FlagValues } from '../options.ts';
import { COMMON_FLAGS, IMAGE_FLAGS } from '../options.ts';
import {
  createProgress,
  useColor,
  withOutput,
  parseOutputs,
  openImageOptions,
  cacheDirOf,
  cacheMaxBytesOf,
} from '../io.ts';
import { SCAN_FLAGS, localDbOf, driverVersionOf, policyOf, scannersOf, parseOrHelp as parse } from './common.ts';
import { EXIT } from '../exit.ts';
import { UsageError } from '../../core/errors.ts';
import { gpuArchsOf, noteGpuArchs } from './common.ts';

/** A command's code; its name and one-line summary are listed in main.ts, which loads it only when it runs. */
export interface Command {
  run(args: string[]): Promise<number>;
}

/** `driver` false: no host NVIDIA driver lookup (it may run nvidia-smi), for commands that match nothing. */
function scanOptions(
  values: FlagValues,
  progress: ReturnType<typeof createProgress>,
  advisories?: ScanOptions['advisories'],
  { driver = true }: { driver?: boolean } = {},
): ScanOptions {
  return {
    open: openImageOptions(values, process.env),
    cacheDir: cacheDirOf(values, process.env),
    cacheMaxBytes: cacheMaxBytesOf(values),
    scanners: scannersOf(values),
    gpuArchs: (values['gpu-arch'] as string[] | undefined)?.flatMap((s) => s.split(',')).filter(Boolean),
    advisories,
    policy: policyOf(values, process.cwd()),
    driverVersion: driver ? driverVersionOf(values) : undefined,
    files: values.files === true,
    merge: values.merge as string[] | undefined,
    onProgress: (p) => {
      const bytes = p.layer
        ? ` ${formatBytes(p.layer.compressedBytes)} read, ${formatBytes(p.layer.uncompressedBytes)} unpacked`
        : '';
      progress.update(`zerocve: ${p.message}${bytes}`);
    },
  };
}

function warn(values: FlagValues, warnings: readonly ReportWarning[]): void {
  if (values.quiet) return;
  for (const m of new Set(warnings.map((w) => w.message))) process.stderr.write(`zerocve: warning: ${m}\n`);
}

/** scan only: base image or application */
const BASE_FLAGS: Record<string, FlagSpec> = {
  base: {
    type: 'string',
    help:
      'IMAGE: the base image (its layers must be the first layers of TARGET); default: the ' +
      'org.opencontainers.image.base.name annotation, when readable',
  },
  'only-base': { type: 'boolean', help: 'keep only findings the base image brought (needs a known base)' },
  'exclude-base': { type: 'boolean', help: 'keep only findings the application layers added (needs a known base)' },
};

function baseOptionsOf(values: FlagValues): ScanOptions['base'] {
  if (values['only-base'] === true && values['exclude-base'] === true)
    throw new UsageError('--only-base and --exclude-base exclude each other');
  const filter =
    values['only-base'] === true ? 'only-base' : values['exclude-base'] === true ? 'exclude-base' : undefined;
  const image = typeof values.base === 'string' ? values.base : undefined;
  if (image === '') throw new UsageError('--base: needs an image');
  return { image, fromAnnotations: true, ...(filter ? { filter } : {}) };
}

const TARGETS =
  'TARGET is registry:REF or a bare reference (host/repo:tag, name@sha256:…), docker-archive:PATH, ' +
  'oci-archive:PATH, oci-dir:PATH[:tag], dir:PATH or sbom:PATH.';

export const scan: Command = {
  async run(args) {
    const p = parse(
      'scan',
      'TARGET [flags]',
      `Scan an image: inventory, CVEs, attack surface, bloat, GPU code, model files, secrets.\n${TARGETS}\n` +
        `Exit codes: 0 pass, 1 policy failed (--fail-on), 2 usage error, 3 scan error.`,
      { ...SCAN_FLAGS, ...BASE_FLAGS },
      args,
      1,
    );
    if (typeof p === 'number') return p;
    const { values, positionals } = p;
    const outputs = parseOutputs(values, REPORT_FORMATS, 'table');
    const base = baseOptionsOf(values);
    const progress = createProgress(values.quiet !== true);
    const gpu = await gpuArchsOf(values);
    const dbs = localDbOf(values, process.env, progress);
    let report: ScanReport;
    try {
      report = await scanTarget(positionals[0], {
        ...scanOptions(values, progress, dbs.provide),
        base,
        gpuArchs: gpu.archs,
      });
    } finally {
      dbs.close();
      progress.done();
    }
    warn(values, report.warnings);
    noteGpuArchs(values, gpu, report.sections?.gpu);
    for (const o of outputs) {
      const shown =
        (o.format === 'table' || o.format === 'markdown') && values['show-suppressed'] !== true
          ? { ...report, suppressed: [] }
          : report;
      await withOutput(o.file, (out) =>
        reporterFor(o.format).write(shown, out, {
          color: !o.file && useColor(),
          width: process.stdout.columns,
          files: values.files === true,
        }),
      );
    }
    return report.summary.passed ? EXIT.ok : EXIT.policyFailed;
  },
};

const SBOM_FLAGS: Record<string, FlagSpec> = {
  ...COMMON_FLAGS,
  ...IMAGE_FLAGS,
  format: { type: 'string', short: 'f', help: 'FORMAT: cyclonedx-json, spdx-json or json (default cyclonedx-json)' },
  output: { type: 'string', help: 'FILE: write there instead of stdout' },
  files: { type: 'boolean', help: 'include the files each package owns' },
};

export const sbom: Command = {
  async run(args) {
    const p = parse(
      'sbom',
      'TARGET [flags]',
      'Inventory an image (OS packages, Python, conda, npm, Java archives, Go and Rust binaries, CUDA components, ' +
        `model files) as an SBOM.\n${TARGETS}`,
      SBOM_FLAGS,
      args,
      1,
    );
    if (typeof p === 'number') return p;
    const { values, positionals } = p;
    const [o] = parseOutputs(values, SBOM_FORMATS, 'cyclonedx-json');
    const progress = createProgress(values.quiet !== true);
    let report: ScanReport;
    try {
      const opts = scanOptions({ ...values, scanners: ['model'] }, progress, undefined, { driver: false });
      report = await scanTarget(positionals[0], { ...opts, scanners: new Set(['model']), files: true });
    } finally {
      progress.done();
    }
    warn(
      values,
      report.warnings.filter((w) => w.code !== 'no-vulnerability-db' && w.code !== 'stale-vulnerability-db'),
    );
    await withOutput(o.file, (out) => sbomReporterFor(o.format).write(report, out, { files: values.files === true }));
    return EXIT.ok;
  },
};

export const compare: Command = {
  async run(args) {
    const flags: Record<string, FlagSpec> = {
      ...SCAN_FLAGS,
      format: { type: 'string', short: 'f', help: `FORMAT: ${COMPARE_FORMATS.join(', ')} (default table)` },
    };
    delete flags.out;
    const p = parse(
      'compare',
      'A B [flags]',
      `Scan two images with the same policy and compare them (e.g. an official image and a hardened one).\n` +
        `${TARGETS}\nExit codes: 0, or 1 when B fails --fail-on.`,
      flags,
      args,
      2,
    );
    if (typeof p === 'number') return p;
    const { values, positionals } = p;
    const [o] = parseOutputs(values, COMPARE_FORMATS, 'table');
    const progress = createProgress(values.quiet !== true);
    const dbs = localDbOf(values, process.env, progress);
    let a: ScanReport;
    let b: ScanReport;
    try {
      const opts = { ...scanOptions(values, progress, dbs.provide), gpuArchs: (await gpuArchsOf(values)).archs };
      a = await scanTarget(positionals[0], opts);
      b = await scanTarget(positionals[1], opts);
    } finally {
      dbs.close();
      progress.done();
    }
    warn(values, [...a.warnings, ...b.warnings]);
    const c = compareReports(a, b);
    await withOutput(o.file, (out) =>
      compareReporterFor(o.format).write(c, out, { color: !o.file && useColor(), width: process.stdout.columns }),
    );
    return b.summary.passed ? EXIT.ok : EXIT.policyFailed;
  },
};

const BLOAT_FLAGS: Record<string, FlagSpec> = {
  ...COMMON_FLAGS,
  ...IMAGE_FLAGS,
  format: { type: 'string', short: 'f', help: 'FORMAT: table or json (default table)' },
  output: { type: 'string', help: 'FILE: write there instead of stdout' },
  'gpu-arch': {
    type: 'string',
    multiple: true,
    help: 'LIST: GPU architectures served, e.g. sm_80,sm_90 (device code for others counts as prunable)',
  },
  'no-duplicates': { type: 'boolean', help: 'skip content hashing (no duplicate-file detection; ~25% faster)' },
};

export const bloat: Command = {
  async run(args) {
    const p = parse(
      'bloat',
      'TARGET [flags]',
      `Classify every byte of an image and list what could go.\n${TARGETS}`,
      BLOAT_FLAGS,
      args,
      1,
    );
    if (typeof p === 'number') return p;
    const { values, positionals } = p;
    const [o] = parseOutputs(values, ['table', 'json'], 'table');
    const progress = createProgress(values.quiet !== true);
    const gpu = await gpuArchsOf(values);
    let report;
    try {
      report = await bloatTarget(positionals[0], {
        open: openImageOptions(values, process.env),
        cacheDir: cacheDirOf(values, process.env),
        cacheMaxBytes: cacheMaxBytesOf(values),
        duplicates: values['no-duplicates'] !== true,
        gpuArchs: gpu.archs,
        onProgress: (e) => progress.update(`zerocve: ${e.message}`),
      });
    } finally {
      progress.done();
    }
    warn(values, report.warnings);
    noteGpuArchs(values, gpu, report.sections?.gpu);
    await withOutput(o.file, async (out: Writable) => {
      out.write(
        o.format === 'json'
          ? jsonText(bloatView(report))
          : renderBloatTable(report, { color: !o.file && useColor(), width: process.stdout.columns }).join('\n') + '\n',
      );
    });
    return EXIT.ok;
  },
};

export const inspect: Command = {
  async run(args) {
    const flags: Record<string, FlagSpec> = {
      ...COMMON_FLAGS,
      ...IMAGE_FLAGS,
      format: { type: 'string', short: 'f', help: 'FORMAT: table or json (default table)' },
    };
    const p = parse(
      'inspect',
      'TARGET [flags]',
      `Read an image and show its platform, config, layers and file totals.\n${TARGETS}`,
      flags,
      args,
      1,
    );
    if (typeof p === 'number') return p;
    const { values, positionals } = p;
    const [o] = parseOutputs(values, ['table', 'json'], 'table');
    const progress = createProgress(values.quiet !== true);
    let r;
    try {
      r = await inspectTarget(positionals[0], {
        open: openImageOptions(values, process.env),
        cacheDir: cacheDirOf(values, process.env),
        cacheMaxBytes: cacheMaxBytesOf(values),
        onProgress: (e) =>
          progress.update(
            `zerocve: layer ${e.layer + 1}: ${formatBytes(e.compressedBytes)} read, ` +
              `${formatBytes(e.uncompressedBytes)} unpacked`,
          ),
      });
    } finally {
      progress.done();
    }
    process.stdout.write(o.format === 'json' ? jsonText(r) : renderInspectText(r));
    return EXIT.ok;
  },
};
