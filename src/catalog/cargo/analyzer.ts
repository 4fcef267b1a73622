// Rust binaries built with `cargo auditable`: crate names and versions from the `.dep-v0` section (see
// parse-cargo-auditable.ts). Binaries without it say nothing: crates are never guessed from symbols or strings.
import type { Analyzer } from '../../core/analyzer.ts';
import type { CargoMetadata } from '../../core/ecosystems.ts';
import type { Fact } from '../../core/fact.ts';
import { newPackage, problemFact } from '../common.ts';
import { createCargoAuditableSink, readCargoAuditable, type AuditableResult } from './parse-cargo-auditable.ts';

const NAME = 'cargo';
const MIN_SIZE = 16 * 1024;

function cargoFacts(p: string, r: AuditableResult): Fact[] {
  const facts: Fact[] = r.problems.map((m) => problemFact(p, NAME, 'malformed', `${p}: ${m}`));
  if (!r.crates || r.crates.length === 0) return facts;
  const packages = r.crates.map((c) => {
    const meta: CargoMetadata = { kind: 'cargo' };
    if (c.source) meta.source = c.source;
    if (c.kind) meta.dependencyKind = c.kind;
    if (c.root) meta.root = true;
    return newPackage('cargo', c.name, c.version, meta);
  });
  facts.push({ kind: 'packages', path: p, packages });
  return facts;
}

export function createCargoAnalyzer(): Analyzer {
  return {
    name: NAME,
    version: 1,
    // executables only (as Trivy's and Syft's Rust binary catalogers): shared libraries are most of an image's ELF
    // bytes and Rust cdylibs built with cargo auditable are rare
    wants: (entry) => (entry.type === 'file' && entry.size >= MIN_SIZE && (entry.mode & 0o111) !== 0 ? 'stream' : null),
    sink(entry) {
      const s = createCargoAuditableSink();
      return { write: (chunk) => s.write(chunk), end: () => cargoFacts(entry.path, s.end()) };
    },
    // an unpacked root: the section headers and `.dep-v0` instead of every byte
    readAt: async (entry, file) => cargoFacts(entry.path, await readCargoAuditable(file)),
  };
}
