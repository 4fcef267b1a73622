// dpkg Depends/Pre-Depends (as recorded in metadata.depends) resolved to installed packages of the same inventory.
import type { Package } from '../core/package.ts';

/** `libc6 (>= 2.15)` → `libc6`; `python3:any` → `python3`; alternatives `a | b` → [a, b]. */
export function dependencyAlternatives(entry: string): string[] {
  return entry
    .split('|')
    .map((alt) =>
      alt
        .trim()
        .replace(/\s*\(.*\)\s*$/, '')
        .replace(/\s*\[.*\]\s*$/, '')
        .replace(/:[a-z0-9-]+$/, '')
        .trim(),
    )
    .filter(Boolean);
}

/** package id → ids of installed packages it depends on (first installed alternative), for dpkg and apk. */
export function resolveDpkgDepends(packages: Package[]): Map<string, string[]> {
  const byName = new Map<string, Package>();
  for (const p of packages) if (p.type === 'deb' || p.type === 'apk') if (!byName.has(p.name)) byName.set(p.name, p);
  const out = new Map<string, string[]>();
  for (const p of packages) {
    const m = p.metadata;
    const deps = m.kind === 'dpkg' || m.kind === 'apk' ? m.depends : undefined;
    if (!deps?.length) continue;
    const ids = new Set<string>();
    for (const entry of deps) {
      for (const alt of dependencyAlternatives(entry)) {
        const hit = byName.get(alt);
        if (hit && hit.id !== p.id) {
          ids.add(hit.id);
          break;
        }
      }
    }
    if (ids.size) out.set(p.id, [...ids].sort());
  }
  return out;
}
