// Reports for reporter tests, made by the real pipeline: a three-layer OCI image written with the real image writer
// (a real Ubuntu dpkg status from Trivy's test data, pip-installed distributions at versions real PyPA advisories
// affect, a model file, a setuid binary), a vulnerability database imported by the real importer from those
// advisories, and the real scan (analysis, matching, policy with an OpenVEX statement). Nothing is hand-made except
// the image's files; the only fields pinned afterwards are the ones that name the moment or the temporary folder
// (creation time, database path, build time and age), so golden outputs stay stable.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parse as parseYaml } from 'yaml';
import type { ScanReport } from '../../src/core/report.ts';
import type { VexStatement } from '../../src/policy/index.ts';
import { importSources } from '../../src/vulndb/index.ts';
import { openLocalDb } from '../../src/app/local-db.ts';
import { scanTarget } from '../../src/app/scan.ts';
import { DEFAULT_SCANNERS } from '../../src/app/analyze.ts';
import { initLayout, writeLayer, writeImage, writeIndex } from '../../src/image/write/index.ts';

/** Corpus files the fixture reads (relative to the corpus root). */
export const FIXTURE_FILES = {
  dpkgStatus: 'conformance/trivy/pkg/fanal/analyzer/pkg/dpkg/testdata/valid.txtar',
  advisories: 'vulndata/pypa-advisory-database/vulns',
} as const;

/** Real PyPA advisories; the newest version each lists as affected is installed. */
export const ADVISORIES = [
  'urllib3/PYSEC-2023-192.yaml',
  'aiohttp/PYSEC-2023-250.yaml',
  'mlflow/PYSEC-2023-252.yaml',
  'gitpython/PYSEC-2024-4.yaml',
  'torch/PYSEC-2022-43015.yaml',
] as const;

export const SITE_PACKAGES = '/usr/local/lib/python3.11/site-packages';
export const OS_RELEASE =
  'NAME="Ubuntu"\nVERSION="18.04 LTS (Bionic Beaver)"\nID=ubuntu\nID_LIKE=debian\n' +
  'PRETTY_NAME="Ubuntu 18.04 LTS"\nVERSION_ID="18.04"\nVERSION_CODENAME=bionic\n';

export interface PipelineFixtureOptions {
  /** absolute path of the shared corpus root */
  corpus: string;
  /** creation time (default 2024-01-02T03:04:05.000Z); also the policy's "now" */
  createdAt?: string;
  /** drop these package names from the image (dpkg stanzas or pip distributions) */
  dropPackages?: string[];
  /** install these versions instead (pip distributions by name) */
  versions?: Record<string, string>;
  /** more files in the last layer */
  extraFiles?: { path: string; body: string | Buffer; mode?: number }[];
  /** keep owned file lists in the inventory (as `--files`) */
  files?: boolean;
}

/** One file of a txtar archive. */
export function txtarFile(text: string, name: string): string {
  const marker = `-- ${name} --\n`;
  const start = text.indexOf(marker);
  if (start < 0) throw new Error(`txtar: ${name} not found`);
  const rest = text.slice(start + marker.length);
  const next = rest.search(/^-- .+ --$/m);
  return next < 0 ? rest : rest.slice(0, next);
}

/** The real dpkg status of the fixture (Ubuntu 18.04), without the dropped packages. */
export function fixtureDpkgStatus(corpus: string, drop: ReadonlySet<string> = new Set()): string {
  const status = txtarFile(readFileSync(join(corpus, FIXTURE_FILES.dpkgStatus), 'utf8'), 'var/lib/dpkg/status');
  return status
    .split(/\n(?=Package: )/)
    .filter((stanza) => !drop.has(/^Package: (\S+)/.exec(stanza)?.[1] ?? ''))
    .join('\n');
}

const vcmp = (a: string, b: string): number => {
  const x = a.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  const y = b.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(x.length, y.length); i++)
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
};

/** name and newest affected version of an advisory file. */
function affectedVersion(
  corpus: string,
  rel: string,
): { id: string; aliases: string[]; name: string; version: string } {
  const adv = parseYaml(readFileSync(join(corpus, FIXTURE_FILES.advisories, rel), 'utf8')) as {
    id: string;
    aliases?: string[];
    affected: { package: { name: string }; versions?: string[] }[];
  };
  const aff = adv.affected[0];
  const version = [...(aff.versions ?? [])].sort(vcmp).at(-1) ?? '0';
  return { id: adv.id, aliases: adv.aliases ?? [], name: aff.package.name.toLowerCase(), version };
}

function distInfo(name: string, version: string): { path: string; body: string }[] {
  const rel = `${name}-${version}.dist-info`;
  return [
    { path: `${SITE_PACKAGES}/${rel}/METADATA`, body: `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n` },
    { path: `${SITE_PACKAGES}/${rel}/INSTALLER`, body: 'pip\n' },
    { path: `${SITE_PACKAGES}/${rel}/RECORD`, body: `${rel}/METADATA,,\n${rel}/INSTALLER,,\n${rel}/RECORD,,\n` },
  ];
}

/** A valid safetensors file: little-endian header length, JSON header, tensor bytes. */
export function safetensors(): Buffer {
  const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([len, header, Buffer.alloc(16)]);
}

interface FileSpec {
  path: string;
  body: string | Buffer;
  mode?: number;
}

async function layerOf(dir: string, files: FileSpec[]) {
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.path.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) dirs.add('/' + parts.slice(0, i).join('/'));
  }
  const entries = [
    ...[...dirs].map((d) => ({ key: `${d}/`, dir: d })),
    ...files.map((f) => ({ key: f.path, file: f })),
  ].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return writeLayer(dir, async (tar) => {
    for (const e of entries) {
      if ('dir' in e && e.dir) await tar.add({ path: e.dir, type: 'dir', mode: 0o755 });
      else if ('file' in e && e.file)
        await tar.add({ path: e.file.path, type: 'file', mode: e.file.mode ?? 0o644 }, Buffer.from(e.file.body));
    }
  });
}

/** The image's files, layer by layer. */
export function fixtureLayers(options: PipelineFixtureOptions): FileSpec[][] {
  const drop = new Set(options.dropPackages ?? []);
  const base: FileSpec[] = [
    { path: '/etc/os-release', body: OS_RELEASE },
    { path: '/var/lib/dpkg/status', body: fixtureDpkgStatus(options.corpus, drop) },
    { path: '/bin/su', body: '#!/bin/sh\nexec true\n', mode: 0o4755 },
    { path: '/bin/sh', body: '#!/bin/sh\n', mode: 0o755 },
    { path: '/usr/share/doc/apt/changelog', body: 'apt (1.6.1) bionic; urgency=medium\n'.repeat(200) },
  ];
  const pip: FileSpec[] = [];
  for (const rel of ADVISORIES) {
    const a = affectedVersion(options.corpus, rel);
    if (drop.has(a.name)) continue;
    pip.push(...distInfo(a.name, options.versions?.[a.name] ?? a.version));
  }
  // a distribution whose METADATA lost its Version: a real problem, reported by the real python analyzer
  pip.push({ path: `${SITE_PACKAGES}/broken-1.0.dist-info/METADATA`, body: 'Metadata-Version: 2.1\nName: broken\n' });
  const app: FileSpec[] = [
    { path: '/models/classifier.safetensors', body: safetensors() },
    ...(options.extraFiles ?? []),
  ];
  return [base, pip, app];
}

/** Write the fixture image into `dir` (an OCI layout); returns its target string. */
export async function writeFixtureImage(dir: string, options: PipelineFixtureOptions): Promise<string> {
  initLayout(dir);
  const layers = [];
  for (const files of fixtureLayers(options)) layers.push(await layerOf(dir, files));
  const m = await writeImage(dir, {
    layers,
    config: { env: ['PATH=/usr/local/bin:/usr/bin:/bin'], entrypoint: ['python3'], cmd: ['-m', 'app'] },
    created: '2024-01-01T00:00:00Z',
    history: [
      '/bin/sh -c #(nop) ADD file:ubuntu-base in /',
      'RUN pip install urllib3 aiohttp mlflow gitpython torch',
      'COPY classifier.safetensors /models/',
    ].map((created_by) => ({ created: '2024-01-01T00:00:00Z', created_by })),
  });
  writeIndex(dir, [{ ...m, tag: 'latest' }]);
  return `oci-dir:${dir}:latest`;
}

/** The advisories imported by the real importer into a fresh database at `dbPath`. */
export async function importFixtureAdvisories(corpus: string, dbPath: string, work: string): Promise<void> {
  const osv = join(work, 'osv');
  mkdirSync(osv, { recursive: true });
  for (const rel of ADVISORIES)
    copyFileSync(join(corpus, FIXTURE_FILES.advisories, rel), join(osv, rel.replace('/', '-')));
  await importSources(dbPath, [{ path: osv, kind: 'osv', source: 'osv:PyPI' }]);
}

/** Build a ScanReport through the real pipeline (see the file's header). */
export async function buildPipelineReport(options: PipelineFixtureOptions): Promise<ScanReport> {
  const work = mkdtempSync(join(tmpdir(), 'zc-report-fixture-'));
  try {
    const target = await writeFixtureImage(join(work, 'oci'), options);
    const dbPath = join(work, 'zerocve.db');
    await importFixtureAdvisories(options.corpus, dbPath, work);
    const createdAt = options.createdAt ?? '2024-01-02T03:04:05.000Z';
    const now = new Date(createdAt);
    const torch = affectedVersion(options.corpus, 'torch/PYSEC-2022-43015.yaml');
    const vex: VexStatement[] = [
      {
        vulnerabilities: [torch.id, ...torch.aliases],
        products: [`pkg:pypi/torch`],
        subcomponents: [],
        status: 'not_affected',
        justification: 'vulnerable_code_not_in_execute_path',
        where: 'vex/fixture.openvex.json#0',
      },
    ];
    const db = openLocalDb({ dbPath, now });
    let report: ScanReport;
    try {
      report = await scanTarget(target, {
        cacheDir: null,
        scanners: new Set(DEFAULT_SCANNERS),
        advisories: db.provide,
        policy: { vex, failOn: 'high', now },
        files: options.files,
        now,
      });
    } finally {
      db.close();
    }
    // pin what names the moment and the temporary folder
    report.createdAt = createdAt;
    report.image.source.target = 'oci-dir:/tmp/fixture:latest';
    for (const w of report.warnings) if (w.target === target) w.target = report.image.source.target;
    if (report.db) report.db = { ...report.db, path: '/tmp/zerocve.db', builtAt: '2024-01-01T00:00:00Z', ageHours: 27 };
    return report;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Write a report to a file (for tests that hand it to the CLI). */
export function writeReport(path: string, report: ScanReport): void {
  writeFileSync(path, JSON.stringify(report));
}

const built = new Map<string, Promise<ScanReport>>();

/** buildPipelineReport, run once per options in a process; each call gets its own copy to change. */
export async function pipelineReport(options: PipelineFixtureOptions): Promise<ScanReport> {
  const key = JSON.stringify(options);
  let report = built.get(key);
  if (!report) built.set(key, (report = buildPipelineReport(options)));
  return structuredClone(await report);
}
