// Text and JSON of the commands other than `scan`: inspect, bloat, slim and build (and `build --check`). Pure
// functions of the results src/app computes; the CLI only writes what they return.
import type { InspectResult, BloatView, SlimReport, BuildResult, FreshnessReport } from '../core/results.ts';
import type { ScanReport } from '../core/report.ts';
import { formatBytes } from '../core/units.ts';

/** Pretty JSON with a final newline, as every `--format json` of these commands writes it. */
export const jsonText = (value: unknown): string => JSON.stringify(value, null, 2) + '\n';

// ── inspect ──────────────────────────────────────────────────────────────────────────────────────────────────────

export function renderInspectText(r: InspectResult): string {
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
        `  ${String(l.index + 1).padStart(2)}  ${l.digest.slice(0, 19)}  ` +
        `${l.mediaType.replace('application/vnd.', '').padEnd(34)} ` +
        `${formatBytes(l.compressedSize).padStart(9)} → ${formatBytes(l.uncompressedSize).padStart(9)}  ` +
        `${l.files} files`,
    ),
    '',
    `Files ${t.files}  directories ${t.directories}  symlinks ${t.symlinks}  hardlinks ${t.hardlinks}`,
    `Executables ${t.executables}  setuid ${t.setuid}  setgid ${t.setgid}`,
    `Size ${formatBytes(t.bytes)} (${formatBytes(t.compressedBytes)} compressed)  shadowed by later layers: ` +
      `${r.shadowed.files} files, ${formatBytes(r.shadowed.bytes)}`,
    ...(r.problems.length
      ? [
          '',
          `Problems (${r.problems.length})`,
          ...r.problems.slice(0, 20).map((x) => `  layer ${x.layer + 1} ${x.path}: ${x.message}`),
        ]
      : []),
  ];
  return lines.join('\n') + '\n';
}

// ── bloat ────────────────────────────────────────────────────────────────────────────────────────────────────────

/** `zerocve bloat --format json`: the image, the bloat report, GPU device code and duplicate CUDA stacks. */
export const bloatView = (report: ScanReport): BloatView | undefined =>
  report.bloat && {
    image: report.image.source,
    bloat: report.bloat,
    gpu: report.sections?.gpu,
    cudaStacks: report.sections?.cudaStacks,
  };

// ── slim ─────────────────────────────────────────────────────────────────────────────────────────────────────────

/** `zerocve slim --format json`: the slim result with the SBOM digest and both scans' summaries. */
export const slimJson = (r: SlimReport): string =>
  jsonText({ ...r.slim, sbomDigest: r.sbomDigest, scanBefore: r.before.summary, scanAfter: r.after.summary });

export function renderSlimText(r: SlimReport, source: string, out: string): string {
  const pct = (a: number, b: number) => (b ? `${Math.round((1 - a / b) * 100)}% smaller` : '');
  const sev = (x: ScanReport) =>
    Object.entries(x.summary.findings)
      .filter(([, n]) => n)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ') || 'none';
  const sur = (x: ScanReport) =>
    x.surface
      ? `${x.surface.executables} executables, shells: ${x.surface.shells.join(' ') || 'none'}, package ` +
        `managers: ${x.surface.packageManagers.join(' ') || 'none'}`
      : '';
  return (
    [
      `slim ${source} → ${out} (${r.slim.output.manifestDigest})`,
      `  files     ${r.slim.before.files} → ${r.slim.after.files}`,
      `  bytes     ${formatBytes(r.slim.before.bytes)} → ${formatBytes(r.slim.after.bytes)} (` +
        `${pct(r.slim.after.bytes, r.slim.before.bytes)})`,
      `  packages  ${r.slim.packages.full.length} fully kept, ${r.slim.packages.partial.length} partly, ` +
        `${r.slim.packages.removed.length} removed`,
      `  CVEs      before: ${sev(r.before)}; after: ${sev(r.after)}` +
        `${r.before.db ? '' : ' (no vulnerability database: run zerocve db update)'}`,
      `  surface   before: ${sur(r.before)}`,
      `            after:  ${sur(r.after)}`,
      ...r.slim.commands.map(
        (c) =>
          `  verified  ${JSON.stringify(c.argv.join(' '))}: exit ${c.exitCode} → ` +
          `${c.verify?.exitCode ?? '?'}${c.verify && !c.verify.stdoutMatches ? ' (stdout differs)' : ''}`,
      ),
      ...(r.sbomDigest ? [`  sbom      ${r.sbomDigest} (CycloneDX, referrer)`] : []),
      ...r.slim.problems.slice(0, 5).map((p) => `  problem   ${p}`),
    ].join('\n') + '\n'
  );
}

// ── build ────────────────────────────────────────────────────────────────────────────────────────────────────────

export function renderBuildText(r: BuildResult, out: string): string {
  const removed = r.removedPackages.length
    ? `; prod removed ${r.removedPackages.length}: ${r.removedPackages.join(' ')}`
    : '';
  return (
    [
      `built ${out}`,
      `  manifest   ${r.manifestDigest}`,
      `  layer      ${r.layer.digest} (${formatBytes(r.layer.size)}, ` +
        `${formatBytes(r.layer.uncompressedSize)} unpacked)`,
      `  packages   ${r.packages} Debian packages${removed}`,
      `  sbom       ${r.sbom.digest} (CycloneDX, referrer)`,
      `  provenance ${r.provenance.digest} (in-toto SLSA v1, referrer)`,
      ...(r.pushed ? [`  pushed     ${r.pushed}`] : []),
    ].join('\n') + '\n'
  );
}

export function renderFreshnessText(r: FreshnessReport): string {
  return [
    `${r.image}: ${r.checked} packages checked, ${r.updates.length} with newer versions (` +
      `${r.updates.filter((u) => u.security).length} from security updates)\n`,
    ...r.updates.map(
      (u) => `  ${u.name.padEnd(30)} ${u.installed} → ${u.candidate}${u.security ? '  [security]' : ''}\n`,
    ),
  ].join('');
}
