// apk security data: Alpine/Wolfi/Chainguard secdb (`packages[].pkg.secfixes { <fixed version>: [CVE…] }`, JSON or
// YAML, or one split package `{ name, secfixes }`) and Wolfi/Chainguard advisories YAML (`<pkg>.advisories.yaml`).
// Ecosystems follow OSV: `Alpine:v3.19` (from distroversion), `Wolfi`, `Chainguard` (from urlprefix).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Advisory, Affected, FixState } from '../core/advisory.ts';
import { reasonOf } from '../core/errors.ts';
import type { ImportRecord } from './build.ts';
import { isObject } from '../core/json.ts';

type Json = Record<string, unknown>;
const strOf = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
const ID = /^(CVE-\d{4}-\d{4,}|GHSA(-[0-9a-z]{4}){3}|XSA-\d+|ZBX-\d+|CGA(-[0-9a-z]{4}){3}|TEMP-[0-9A-Za-z-]+)/i;

function* files(path: string, accept: RegExp): Generator<string> {
  if (!statSync(path).isDirectory()) {
    yield path;
    return;
  }
  for (const d of readdirSync(path, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(path, d.name);
    if (d.isDirectory()) yield* files(p, accept);
    else if (accept.test(d.name)) yield p;
  }
}

function load(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  return /\.ya?ml$/i.test(file) ? parseYaml(text, { uniqueKeys: false }) : JSON.parse(text);
}

function ecosystemOf(doc: Json, file: string): string | undefined {
  const prefix = strOf(doc.urlprefix) ?? '';
  if (/chainguard/i.test(prefix) || /chainguard/i.test(file)) return 'Chainguard';
  if (/wolfi/i.test(prefix) || /wolfi/i.test(file)) return 'Wolfi';
  const dv = strOf(doc.distroversion) ?? /\/(v\d+\.\d+)\//.exec(file)?.[1];
  return dv ? `Alpine:${dv.startsWith('v') ? dv : `v${dv}`}` : undefined;
}

/** secdb records. The same CVE in several packages or releases is one advisory with several affected entries. */
export async function* secdbRecords(path: string, source: string): AsyncGenerator<ImportRecord> {
  for (const file of files(path, /\.(json|ya?ml)$/i)) {
    let doc: unknown;
    try {
      doc = load(file);
    } catch (err) {
      yield { kind: 'problem', path: file, message: `not valid JSON/YAML: ${reasonOf(err).split('\n')[0]}` };
      continue;
    }
    if (!isObject(doc)) {
      yield { kind: 'problem', path: file, message: 'not a secdb document' };
      continue;
    }
    const ecosystem = ecosystemOf(doc, file);
    if (!ecosystem) {
      yield { kind: 'problem', path: file, message: 'no distroversion or urlprefix: cannot tell the ecosystem' };
      continue;
    }
    const pkgs = Array.isArray(doc.packages)
      ? doc.packages.map((p) => (isObject(p) && isObject(p.pkg) ? p.pkg : p))
      : [doc];
    for (const pkg of pkgs) {
      if (!isObject(pkg) || !strOf(pkg.name)) {
        yield { kind: 'problem', path: file, message: 'package without a name' };
        continue;
      }
      const name = String(pkg.name);
      if (!isObject(pkg.secfixes)) continue;
      for (const [version, ids] of Object.entries(pkg.secfixes)) {
        // version 0: the package was never affected
        if (version === '0' || !Array.isArray(ids)) continue;
        for (const raw of ids) {
          const m = typeof raw === 'string' ? ID.exec(raw.trim()) : null;
          if (!m) {
            yield {
              kind: 'problem',
              path: `${file}#${name}@${version}`,
              message: `no vulnerability id in ${JSON.stringify(raw)}`,
            };
            continue;
          }
          const others =
            String(raw)
              .slice(m[0].length)
              .match(/GHSA(-[0-9a-z]{4}){3}|CVE-\d{4}-\d{4,}/gi) ?? [];
          const affected: Affected = {
            ecosystem,
            name,
            ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: version }] }],
            versions: [],
            fixState: 'fixed',
          };
          const adv: Advisory = { id: m[0], aliases: others, source, cvss: [], references: [], affected: [affected] };
          yield { kind: 'advisory', advisory: adv };
        }
      }
    }
  }
}

/**
 * Wolfi/Chainguard advisories YAML: the latest event decides. fixed → range fixed at `fixed-version`;
 * false-positive-determination → not affected (no entry); fix-not-planned → wont-fix; pending-upstream-fix,
 * true-positive-determination, detection, analysis-not-planned → not-fixed (statusNote names the event).
 */
export async function* wolfiAdvisoryRecords(
  path: string,
  source: string,
  ecosystem = 'Wolfi',
): AsyncGenerator<ImportRecord> {
  for (const file of files(path, /\.advisories\.ya?ml$/i)) {
    let doc: unknown;
    try {
      doc = load(file);
    } catch (err) {
      yield { kind: 'problem', path: file, message: `not valid YAML: ${reasonOf(err).split('\n')[0]}` };
      continue;
    }
    const name = isObject(doc) && isObject(doc.package) ? strOf(doc.package.name) : undefined;
    if (!isObject(doc) || !name) {
      yield { kind: 'problem', path: file, message: 'no package.name' };
      continue;
    }
    for (const a of Array.isArray(doc.advisories) ? doc.advisories : []) {
      const id = isObject(a) ? strOf(a.id) : undefined;
      if (!isObject(a) || !id) {
        yield { kind: 'problem', path: file, message: 'advisory without an id' };
        continue;
      }
      const events = (Array.isArray(a.events) ? a.events : [])
        .filter(isObject)
        .map((e) => ({ e, t: e.timestamp instanceof Date ? e.timestamp.toISOString() : String(e.timestamp ?? '') }))
        .sort((x, y) => (x.t < y.t ? -1 : x.t > y.t ? 1 : 0));
      const last = events[events.length - 1];
      if (!last) continue;
      const type = strOf(last.e.type);
      const data = isObject(last.e.data) ? last.e.data : {};
      if (type === 'false-positive-determination') continue;
      let fixState: FixState = 'not-fixed';
      const affected: Affected = { ecosystem, name, ranges: [], versions: [] };
      if (type === 'fixed') {
        const fixed = strOf(data['fixed-version']);
        if (!fixed) {
          yield { kind: 'problem', path: `${file}#${id}`, message: 'fixed event without fixed-version' };
          continue;
        }
        affected.ranges.push({ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] });
        fixState = 'fixed';
      } else {
        affected.ranges.push({ type: 'ECOSYSTEM', events: [{ introduced: '0' }] });
        if (type === 'fix-not-planned') fixState = 'wont-fix';
        affected.statusNote = type ?? 'unknown';
      }
      affected.fixState = fixState;
      const adv: Advisory = {
        id,
        aliases: (Array.isArray(a.aliases) ? a.aliases : []).filter((x): x is string => typeof x === 'string'),
        source,
        cvss: [],
        references: [],
        affected: [affected],
      };
      if (last.t) adv.modified = last.t;
      yield { kind: 'advisory', advisory: adv };
    }
  }
}
