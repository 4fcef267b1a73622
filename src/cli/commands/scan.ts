// `zerocve scan`, `zerocve sbom`, `zerocve compare`, `zerocve bloat`, `zerocve inspect`: read an image, report.
import type { Writable } from 'node:stream';
import type { ScanReport } from '../../core/report.ts';
import { UsageError } from '../../core/errors.ts';
import {
  REPORT_FORMATS,
  SBOM_FORMATS,
  COMPARE_FORMATS,
  reporterFor,
  sbomReporterFor,
  compareReports,
  compareReporterFor,
  renderBloatTable,
  humanBytes,
} from '../../report/index.ts';
import { scanTarget, analyzeTarget, inspectTarget, type ScanOptions } from '../../app/index.ts';
import type { FlagSpec, FlagValues } from '../options.ts';
import { COMMON_FLAGS, IMAGE_FLAGS } from '../options.ts';
import { createProgress, useColor, withOutput, parseOutputs, openImageOptions, cacheDirOf } from '../io.ts';
import { SCAN_FLAGS, dbPathOf, driverVersionOf, policyOf, scannersOf, parseOrHelp as parse } from './common.ts';
import { EXIT } from '../exit.ts';
import { gpuArchsOf, noteGpuArchs } from './common.ts';

export interface Command {
  summary: string;
  run(args: string[]): Promise<number>;
}

function scanOptions(values: FlagValues, progress: ReturnType<typeof createProgress>): ScanOptions {
  return {
    open: openImageOptions(values, process.env),
    cacheDir: cacheDirOf(values, process.env),
    scanners: scannersOf(values),
    gpuArchs: (values['gpu-arch'] as string[] | undefined)?.flatMap((s) => s.split(',')).filter(Boolean),
    dbPath: dbPathOf(values, process.env),
    allowNoDb: values['allow-no-db'] === true,
    policy: policyOf(values, process.cwd()),
    driverVersion: driverVersionOf(values),
    files: values.files === true,
    merge: values.merge as string[] | undefined,
    onProgress: (p) =>
      progress.update(
        `zerocve: ${p.message}${p.layer ? ` ${humanBytes(p.layer.compressedBytes)} read, ${humanBytes(p.layer.uncompressedBytes)} unpacked` : ''}`,
      ),
  };
}

function warn(values: FlagValues, warnings: string[]): void {
  if (values.quiet) return;
  for (const w of warnings) process.stderr.write(`zerocve: warning: ${w}\n`);
}

const TARGETS =
  'TARGET is registry:REF or a bare reference (host/repo:tag, name@sha256:…), docker-archive:PATH, oci-archive:PATH, oci-dir:PATH[:tag], dir:PATH or sbom:PATH.';

export const scan: Command = {
  summary: 'find vulnerabilities, attack surface and bloat in an image; gate CI',
  async run(args) {
    const p = parse(
      'scan',
      'TARGET [flags]',
      `Scan an image: inventory, CVEs, attack surface, bloat, GPU code, model files, secrets.\n${TARGETS}\nExit codes: 0 pass, 1 policy failed (--fail-on), 2 usage error, 3 scan error.`,
      SCAN_FLAGS,
      args,
      1,
    );
    if (typeof p === 'number') return p;
    const { values, positionals } = p;
    const outputs = parseOutputs(values, REPORT_FORMATS, 'table');
    const progress = createProgress(values.quiet !== true);
    const gpu = await gpuArchsOf(values);
    let report: ScanReport;
    try {
      report = await scanTarget(positionals[0], { ...scanOptions(values, progress), gpuArchs: gpu.archs });
    } finally {
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
  summary: 'write the inventory of an image as CycloneDX 1.6, SPDX 2.3 or zerocve JSON',
  async run(args) {
    const p = parse(
      'sbom',
      'TARGET [flags]',
      `Inventory an image (OS packages, Python, conda, CUDA components, model files) as an SBOM.\n${TARGETS}`,
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
      const opts = scanOptions({ ...values, scanners: ['model'] }, progress);
      report = await scanTarget(positionals[0], {
        ...opts,
        scanners: new Set(['model']),
        files: true,
        driverVersion: undefined,
      });
    } finally {
      progress.done();
    }
    warn(
      values,
      report.warnings.filter((w) => !/vulnerability database/.test(w)),
    );
    await withOutput(o.file, (out) => sbomReporterFor(o.format).write(report, out, { files: values.files === true }));
    return EXIT.ok;
  },
};

export const compare: Command = {
  summary: 'put two images side by side: CVEs, packages, executables, size',
  async run(args) {
    const flags: Record<string, FlagSpec> = {
      ...SCAN_FLAGS,
      format: { type: 'string', short: 'f', help: `FORMAT: ${COMPARE_FORMATS.join(', ')} (default table)` },
    };
    delete flags.out;
    const p = parse(
      'compare',
      'A B [flags]',
      `Scan two images with the same policy and compare them (e.g. an official image and a hardened one).\n${TARGETS}\nExit codes: 0, or 1 when B fails --fail-on.`,
      flags,
      args,
      2,
    );
    if (typeof p === 'number') return p;
    const { values, positionals } = p;
    const [o] = parseOutputs(values, COMPARE_FORMATS, 'table');
    const progress = createProgress(values.quiet !== true);
    let a: ScanReport;
    let b: ScanReport;
    try {
      const opts = { ...scanOptions(values, progress), gpuArchs: (await gpuArchsOf(values)).archs };
      a = await scanTarget(positionals[0], opts);
      b = await scanTarget(positionals[1], opts);
    } finally {
      progress.done();
    }
    warn(values, [...new Set([...a.warnings, ...b.warnings])]);
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
  summary: 'where the bytes of an image go: docs, toolchains, duplicates, GPU code for unused architectures',
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
    const scanners = new Set<'surface' | 'bloat' | 'dup' | 'gpu'>(['surface', 'bloat', 'gpu']);
    if (values['no-duplicates'] !== true) scanners.add('dup');
    const gpu = await gpuArchsOf(values);
    let a;
    try {
      a = await analyzeTarget(positionals[0], {
        open: openImageOptions(values, process.env),
        cacheDir: cacheDirOf(values, process.env),
        scanners,
        gpuArchs: gpu.archs,
        onProgress: (e) => progress.update(`zerocve: ${e.message}`),
      });
    } finally {
      progress.done();
    }
    if (!a.bloat) throw new UsageError(`bloat: ${positionals[0]} has no files to classify (an SBOM target?)`);
    const report: ScanReport = {
      schemaVersion: 1,
      tool: { name: 'zerocve', version: '' },
      createdAt: new Date().toISOString(),
      image: a.image,
      inventory: a.inventory,
      findings: [],
      suppressed: [],
      surface: a.surface,
      bloat: a.bloat,
      sections: { gpu: a.sections.gpu, cudaStacks: a.sections.cudaStacks },
      warnings: a.warnings,
      summary: {
        findings: { critical: 0, high: 0, medium: 0, low: 0, negligible: 0, unknown: 0 },
        suppressed: 0,
        fixable: 0,
        kev: 0,
        passed: true,
      },
    };
    warn(values, a.warnings);
    noteGpuArchs(values, gpu, a.sections.gpu);
    await withOutput(o.file, async (out: Writable) => {
      if (o.format === 'json') {
        out.write(
          JSON.stringify(
            { image: a.image.source, bloat: a.bloat, gpu: a.sections.gpu, cudaStacks: a.sections.cudaStacks },
            null,
            2,
          ) + '\n',
        );
        return;
      }
      out.write(
        renderBloatTable(report, { color: !o.file && useColor(), width: process.stdout.columns }).join('\n') + '\n',
      );
    });
    return EXIT.ok;
  },
};

export const inspect: Command = {
  summary: 'what an image is made of: platform, config, layers, file totals',
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
        onProgress: (e) =>
          progress.update(
            `zerocve: layer ${e.layer + 1}: ${humanBytes(e.compressedBytes)} read, ${humanBytes(e.uncompressedBytes)} unpacked`,
          ),
      });
    } finally {
      progress.done();
    }
    if (o.format === 'json') {
      process.stdout.write(JSON.stringify(r, null, 2) + '\n');
      return EXIT.ok;
    }
    const c = r.image.config;
    const s = r.image.source;
    const t = r.totals;
    const lines = [
      `Image      ${s.reference ?? s.target}`,
      ...(s.manifestDigest ? [`Digest     ${s.manifestDigest}`] : []),
      `Platform   ${r.platform ?? 'unknown'}`,
      `User       ${c.user || 'root (not set)'}`,
      `Entrypoint ${JSON.stringify(c.entrypoint ?? [])}  Cmd ${JSON.stringify(c.cmd ?? [])}`,
      `Created    ${c.created ?? 'unknown'}`,
      `Env        ${(c.env ?? []).join(' ')}`,
      '',
      `Layers (${r.image.layers.length})`,
      ...r.image.layers.map(
        (l) =>
          `  ${String(l.index + 1).padStart(2)}  ${l.digest.slice(0, 19)}  ${l.mediaType.replace('application/vnd.', '').padEnd(34)} ${humanBytes(l.compressedSize).padStart(9)} → ${humanBytes(l.uncompressedSize).padStart(9)}  ${l.files} files`,
      ),
      '',
      `Files ${t.files}  directories ${t.directories}  symlinks ${t.symlinks}  hardlinks ${t.hardlinks}`,
      `Executables ${t.executables}  setuid ${t.setuid}  setgid ${t.setgid}`,
      `Size ${humanBytes(t.bytes)} (${humanBytes(t.compressedBytes)} compressed)  shadowed by later layers: ${r.shadowed.files} files, ${humanBytes(r.shadowed.bytes)}`,
      ...(r.problems.length
        ? [
            '',
            `Problems (${r.problems.length})`,
            ...r.problems.slice(0, 20).map((x) => `  layer ${x.layer + 1} ${x.path}: ${x.message}`),
          ]
        : []),
    ];
    process.stdout.write(lines.join('\n') + '\n');
    return EXIT.ok;
  },
};
