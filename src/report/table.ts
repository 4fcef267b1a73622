// `table`: terminal text. Summary header, findings grouped by package (worst first), then surface and bloat.
// Colour only when asked (the CLI decides from the TTY); every line fits `width` columns.
import type { Writable } from 'node:stream';
import type { ScanReport } from '../core/report.ts';
import type { Severity } from '../core/advisory.ts';
import type { Reporter, ReporterOptions } from './common.ts';
import {
  writeChunks,
  formatBytes,
  groupByPackage,
  fixedText,
  imageName,
  osName,
  imageSizes,
  SEVERITIES,
  peersOf,
  peerRowsInOrder,
  peerTotalsText,
  peerAgreementText,
} from './common.ts';

const ANSI: Record<Severity | 'bold' | 'dim' | 'green', string> = {
  critical: '\x1b[1;31m',
  high: '\x1b[31m',
  medium: '\x1b[33m',
  low: '\x1b[36m',
  negligible: '\x1b[2m',
  unknown: '\x1b[35m',
  bold: '\x1b[1m',
  dim: '\x1b[2m',
  green: '\x1b[32m',
};
const RESET = '\x1b[0m';

/** Cut to `width` code points, marking the cut with `…`. */
export function truncate(s: string, width: number): string {
  const cps = [...s];
  if (cps.length <= width) return s;
  return width <= 1 ? cps.slice(0, width).join('') : `${cps.slice(0, width - 1).join('')}…`;
}

const pad = (s: string, n: number): string => s + ' '.repeat(Math.max(0, n - [...s].length));

export function renderTable(report: ScanReport, options: ReporterOptions = {}): string[] {
  const width = Math.max(40, options.width ?? 120);
  const paint = (style: keyof typeof ANSI, s: string): string => (options.color ? `${ANSI[style]}${s}${RESET}` : s);
  const lines: string[] = [];
  const line = (s = '', style?: keyof typeof ANSI): void => {
    const t = truncate(s, width);
    lines.push(style ? paint(style, t) : t);
  };

  const inv = report.inventory;
  const byType = new Map<string, number>();
  for (const p of inv.packages) byType.set(p.type, (byType.get(p.type) ?? 0) + 1);
  const size = imageSizes(report);
  const s = report.summary;
  const total = SEVERITIES.reduce((n, k) => n + s.findings[k], 0);
  const digest = report.image.source.manifestDigest ?? report.image.configDigest;
  line(`${'Image'.padEnd(11)} ${imageName(report)}${digest ? ` (${digest.slice(0, 19)})` : ''}`, 'bold');
  line(`${'OS'.padEnd(11)} ${osName(report)}`);
  line(
    `${'Packages'.padEnd(11)} ${inv.packages.length}${
      byType.size
        ? ` (${[...byType]
            .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
            .map(([t, n]) => `${t} ${n}`)
            .join(', ')})`
        : ''
    }${inv.models.length ? `, models ${inv.models.length}` : ''}`,
  );
  if (report.surface)
    line(
      `${'Executables'.padEnd(11)} ${report.surface.executables} (ELF ${report.surface.elfExecutables}, ` +
        `scripts ${report.surface.scriptExecutables})`,
    );
  line(
    `${'Size'.padEnd(11)} ${formatBytes(size.compressed)} compressed, ${formatBytes(size.uncompressed)} ` +
      `uncompressed, ${report.image.layers.length} layers`,
  );
  const sev = SEVERITIES.map((k) => {
    const t = `${k.toUpperCase()} ${s.findings[k]}`;
    return s.findings[k] > 0 ? paint(k, t) : t;
  }).join(', ');
  const findingsPlain =
    `${'Findings'.padEnd(11)} ${total} (` +
    `${SEVERITIES.map((k) => `${k.toUpperCase()} ${s.findings[k]}`).join(', ')})`;
  // colour codes make the string longer than it looks: truncate on the plain text, colour only when it fits
  lines.push(
    [...findingsPlain].length <= width ? `${'Findings'.padEnd(11)} ${total} (${sev})` : truncate(findingsPlain, width),
  );
  line(`${''.padEnd(11)} suppressed ${s.suppressed}, fixable ${s.fixable}, KEV ${s.kev}`);
  const base = report.image.base;
  if (base && s.base) {
    const n = (c: typeof s.findings): number => SEVERITIES.reduce((x, k) => x + c[k], 0);
    line(
      `${'Base'.padEnd(11)} ${base.name} (${base.layers} of ${report.image.layers.length} layers, from ` +
        `${base.via === 'flag' ? '--base' : 'annotation'})`,
    );
    line(
      `${''.padEnd(11)} findings ${n(s.base.findingsFromBase)} from base, ${n(s.base.findingsFromApp)} from ` +
        `app; packages ${s.base.packagesFromBase} from base, ${s.base.packagesFromApp} from app` +
        `${s.base.filter ? ` (--${s.base.filter})` : ''}`,
    );
  }
  if (s.threshold)
    lines.push(
      paint(
        s.passed ? 'green' : 'critical',
        truncate(`${'Gate'.padEnd(11)} ${s.passed ? 'PASS' : 'FAIL'} (fail on ${s.threshold} or worse)`, width),
      ),
    );
  if (report.db)
    line(
      `${'Database'.padEnd(11)} ` +
        `${report.db.sources.map((d) => `${d.name}${d.snapshot ? `@${d.snapshot}` : ''}`).join(', ')}` +
        `${report.db.ageHours !== undefined ? `, ${Math.round(report.db.ageHours)} h old` : ''}`,
      'dim',
    );

  line();
  if (report.findings.length === 0) line('No vulnerabilities found.', 'green');
  for (const g of groupByPackage(report.findings)) {
    line(`${g.pkg.name} ${g.pkg.version}  ${g.pkg.type}  ${g.pkg.locations[0]?.path ?? ''}`, 'bold');
    const idW = Math.max(...g.findings.map((f) => f.id.length));
    for (const f of g.findings) {
      const head =
        `  ${pad(f.severity.toUpperCase(), 10)} ${pad(f.id, idW)}  ${f.installedVersion} → ` +
        `${fixedText(f)}${f.kev ? '  KEV' : ''}`;
      const room = width - [...head].length - 2;
      const title = f.title && room > 8 ? `  ${truncate(f.title, room)}` : '';
      const plain = truncate(`${head}${title}`, width);
      lines.push(
        options.color ? plain.replace(f.severity.toUpperCase(), paint(f.severity, f.severity.toUpperCase())) : plain,
      );
    }
  }
  if (report.suppressed.length) {
    line();
    line(`Suppressed (${report.suppressed.length})`, 'bold');
    for (const x of report.suppressed)
      line(
        `  ${x.finding.id}  ${x.finding.package.name} ${x.finding.installedVersion}  by ${x.by}: ${x.reason}`,
        'dim',
      );
  }
  const peers = peersOf(report);
  if (peers) {
    line();
    line(`Other scanners (${peers.tools.join(', ')}): findings ${peerTotalsText(peers)}`, 'bold');
    line(`  ${peerAgreementText(peers)}`);
    for (const p of peers.peers)
      line(
        `  ${p.tool}${p.toolVersion ? ` ${p.toolVersion}` : ''}: ${p.path}${p.target ? ` (${p.target})` : ''}`,
        'dim',
      );
    const rows = peerRowsInOrder(peers);
    const idW = Math.min(24, Math.max(2, ...rows.map((r) => r.id.length)));
    const pkgW = Math.min(36, Math.max(7, ...rows.map((r) => r.package.length + 1 + r.version.length)));
    const byW = Math.max(11, ...rows.map((r) => r.reportedBy.join(',').length));
    if (rows.length)
      line(`  ${pad('ID', idW)}  ${pad('PACKAGE', pkgW)}  ${pad('REPORTED BY', byW)}  DISAGREEMENT`, 'dim');
    for (const r of rows) {
      const text =
        `  ${pad(truncate(r.id, idW), idW)}  ` +
        `${pad(truncate(`${r.package} ${r.version}`, pkgW), pkgW)}  ${pad(r.reportedBy.join(','), byW)}  ` +
        `${r.disagreement ?? 'agree'}`;
      line(text, r.disagreement ? undefined : 'dim');
    }
    for (const w of peers.warnings) line(`  warning: ${w.message}`);
  }
  const sf = report.surface;
  if (sf) {
    line();
    line('Attack surface', 'bold');
    line(`  files ${sf.files}, directories ${sf.directories}, symlinks ${sf.symlinks}, ${formatBytes(sf.totalBytes)}`);
    line(`  executables ${sf.executables} (ELF ${sf.elfExecutables}, scripts ${sf.scriptExecutables})`);
    line(`  shells ${sf.shells.length ? sf.shells.join(', ') : 'none'}`);
    line(`  package managers ${sf.packageManagers.length ? sf.packageManagers.join(', ') : 'none'}`);
    line(`  setuid ${sf.setuid.length}${sf.setuid.length ? `: ${sf.setuid.map((f) => f.path).join(', ')}` : ''}`);
    line(`  setgid ${sf.setgid.length}${sf.setgid.length ? `: ${sf.setgid.map((f) => f.path).join(', ')}` : ''}`);
    line(
      `  world-writable ${sf.worldWritable.length}` +
        `${sf.worldWritable.length ? `: ${sf.worldWritable.map((f) => f.path).join(', ')}` : ''}`,
    );
    line(
      `  user ${sf.user.configured || '(unset)'}${sf.user.root ? ' — runs as root' : ''}`,
      sf.user.root ? 'high' : undefined,
    );
  }
  const b = report.bloat;
  if (b) {
    line();
    line('Bloat', 'bold');
    line(
      `  total ${formatBytes(b.totalBytes)}, removable ${formatBytes(b.removableBytes)}` +
        `${b.totalBytes > 0 ? ` (${Math.round((100 * b.removableBytes) / b.totalBytes)}%)` : ''}, ` +
        `shadowed ${formatBytes(b.shadowedBytes)}, duplicate sets ${b.duplicates.length}`,
    );
    for (const c of [...b.categories].sort((x, y) => y.bytes - x.bytes))
      line(`  ${pad(c.category, 20)} ${pad(formatBytes(c.bytes), 9)} ${c.files} files`);
    if (b.topOffenders.length) line('  largest:');
    for (const o of b.topOffenders.slice(0, 10))
      line(`    ${pad(formatBytes(o.bytes), 9)} ${o.path}${o.package ? ` (${o.package})` : ''}`);
  }
  analysisSections(report, line);
  if (inv.problems.length || report.warnings.length) {
    line();
    line(`Problems (${inv.problems.length}) and warnings (${report.warnings.length})`, 'bold');
    const max = options.maxListed ?? 20;
    for (const p of inv.problems.slice(0, max)) line(`  ${p.path}: ${p.analyzer}: ${p.message}`);
    if (inv.problems.length > max) line(`  … ${inv.problems.length - max} more problems (-f json lists all)`);
    for (const w of report.warnings) line(`  warning: ${w.message}`);
  }
  return lines;
}

type Line = (s?: string, style?: keyof typeof ANSI) => void;

/** GPU device code, duplicate CUDA stacks, model files and the dependency doctor, when the scan produced them. */
function analysisSections(report: ScanReport, line: Line): void {
  const sec = report.sections ?? {};
  const gpu = sec.gpu;
  if (gpu && gpu.files.length) {
    line();
    line(`GPU device code (${gpu.files.length} files with CUDA fat binaries)`, 'bold');
    const prunable = gpu.gpuArchs.length
      ? `; for ${gpu.gpuArchs.join(',')} ${formatBytes(gpu.prunableBytes)} targets other GPUs and could be pruned`
      : ' (pass --gpu-arch sm_80,… to see what could be pruned)';
    line(`  ${formatBytes(gpu.totalBytes)} of device code${prunable}`);
    for (const a of gpu.archs.slice(0, 12))
      line(
        `  ${pad(a.arch, 9)} cubin ${pad(formatBytes(a.cubinBytes), 9)} ptx ` +
          `${pad(formatBytes(a.ptxBytes), 9)} in ${a.files} files`,
      );
    for (const f of gpu.files.filter((x) => x.unsupported.length).slice(0, 5))
      line(`  ${f.path}: no code for ${f.unsupported.join(', ')}`, 'high');
  }
  const stacks = sec.cudaStacks;
  if (stacks && stacks.duplicates.length) {
    line();
    line(
      `CUDA installed more than once (${stacks.duplicates.length} library families; ` +
        `${formatBytes(stacks.removableBytes)} not loaded by torch)`,
      'bold',
    );
    for (const d of stacks.duplicates.slice(0, 12))
      line(
        `  ${pad(d.family, 16)} ` +
          `${d.copies.map((c) => `${c.dir} ${formatBytes(c.bytes)}${c.loaded ? ' (loaded)' : ''}`).join('  |  ')}`,
      );
  }
  const models = sec.models ?? [];
  if (models.length) {
    line();
    line(`Model files (${models.length})`, 'bold');
    for (const m of models.slice(0, 20))
      line(
        `  ${pad(m.format, 14)} ${pad(formatBytes(m.size), 9)} ${m.path}` +
          `${m.unsafeImports?.length ? `  UNSAFE (${m.severity}): ${m.unsafeImports.join(', ')}` : ''}`,
        m.unsafeImports?.length ? 'critical' : undefined,
      );
  }
  const deps = sec.deps;
  if (deps && (deps.python.length || deps.cuda.frameworks.length)) {
    line();
    line('Dependencies', 'bold');
    for (const e of deps.python)
      line(
        `  python ${e.key}${e.pythonVersion ? ` (${e.pythonVersion})` : ''}: ${e.distributions} ` +
          `distributions, ${e.requirementsChecked} requirements checked`,
      );
    for (const f of deps.cuda.frameworks)
      line(
        `  ${f.name} ${f.version} built for CUDA ${f.cudaVersion}; CUDA libraries present: ` +
          `${deps.cuda.libraries.map((l) => `${l.component} ${l.version}`).join(', ') || 'none'}` +
          `${deps.cuda.hostDriver ? `; host driver ${deps.cuda.hostDriver}` : ''}`,
      );
  }
}

/** `zerocve bloat`: where the bytes go, GPU code and duplicate CUDA stacks — no vulnerability summary. */
export function renderBloatTable(report: ScanReport, options: ReporterOptions = {}): string[] {
  const all = renderTable(
    { ...report, sections: { gpu: report.sections?.gpu, cudaStacks: report.sections?.cudaStacks } },
    options,
  );
  const start = all.findIndex((l) => /^(\x1b\[[0-9;]*m)?Bloat/.test(l));
  const head = all.slice(0, all.findIndex((l) => /^(\x1b\[[0-9;]*m)?Size/.test(l)) + 1);
  return [...head, '', ...(start >= 0 ? all.slice(start) : ['no files to classify'])];
}

export function createTableReporter(): Reporter {
  return {
    format: 'table',
    async write(report: ScanReport, out: Writable, options: ReporterOptions = {}): Promise<void> {
      await writeChunks(
        out,
        renderTable(report, options).map((l) => `${l}\n`),
        options.signal,
      );
    },
  };
}
