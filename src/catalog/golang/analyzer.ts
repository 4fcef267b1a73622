// Go binaries: the build information every Go binary carries since Go 1.13 (see parse-go-buildinfo.ts), read from
// executables as they stream by. One package per module: the main module (role `main`), each dependency (role
// `dep`, its `=>` replacement in metadata), and the toolchain as the module `stdlib` (version in semver with `v`).
import type { Analyzer } from '../../core/analyzer.ts';
import type { GolangMetadata } from '../../core/ecosystems.ts';
import type { Fact } from '../../core/fact.ts';
import { readerProblemCode, type Package } from '../../core/package.ts';
import { newPackage, problemFact } from '../common.ts';
import {
  createGoBuildInfoSink,
  goVersionToSemver,
  readGoBuildInfo,
  type GoBuildInfo,
  type GoBuildInfoResult,
  type GoModule,
} from './parse-go-buildinfo.ts';

const NAME = 'golang';
/** the smallest Go binary (an empty main, stripped) is over 1 MB */
const MIN_SIZE = 256 * 1024;

/** Packages for one binary's build information. */
export function goPackages(info: GoBuildInfo): Package[] {
  const out: Package[] = [];
  const settings = Object.fromEntries(info.settings.map((s) => [s.key, s.value]));
  const hasSettings = info.settings.length > 0;
  const meta = (role: GolangMetadata['role'], m?: GoModule): GolangMetadata => {
    const md: GolangMetadata = { kind: 'golang', role, goVersion: info.goVersion, format: info.format };
    if (m?.sum) md.sum = m.sum;
    if (m?.replace) {
      md.replacedBy = { path: m.replace.path };
      if (m.replace.version) md.replacedBy.version = m.replace.version;
      if (m.replace.sum) md.replacedBy.sum = m.replace.sum;
    }
    if (role !== 'dep' && hasSettings) md.settings = settings;
    return md;
  };
  if (info.main && info.main.path)
    out.push(newPackage('golang', info.main.path, info.main.version, meta('main', info.main)));
  for (const d of info.deps) if (d.path) out.push(newPackage('golang', d.path, d.version, meta('dep', d)));
  const stdlib = goVersionToSemver(info.goVersion);
  if (stdlib) out.push(newPackage('golang', 'stdlib', stdlib, meta('stdlib')));
  return out;
}

function goFacts(p: string, r: GoBuildInfoResult): Fact[] {
  const facts: Fact[] = r.problems.map((m) => problemFact(p, NAME, readerProblemCode(m), `${p}: ${m}`));
  if (!r.info) return facts;
  if (!r.info.goVersion && !r.info.main)
    return [
      ...facts,
      problemFact(p, NAME, 'unidentified', `${p}: Go module information without a toolchain version or main module`),
    ];
  const packages = goPackages(r.info);
  if (packages.length > 0) facts.push({ kind: 'packages', path: p, packages });
  return facts;
}

export function createGolangAnalyzer(): Analyzer {
  return {
    name: NAME,
    version: 1,
    wants: (entry) => (entry.type === 'file' && (entry.mode & 0o111) !== 0 && entry.size >= MIN_SIZE ? 'stream' : null),
    sink(entry) {
      const s = createGoBuildInfoSink();
      return { write: (chunk) => s.write(chunk), end: () => goFacts(entry.path, s.end()) };
    },
    // an unpacked root: the section headers and `.go.buildinfo` instead of every byte
    readAt: async (entry, file) => goFacts(entry.path, await readGoBuildInfo(file)),
  };
}
