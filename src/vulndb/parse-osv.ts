// OSV records (https://ossf.github.io/osv-schema/) to the one Advisory model, and the inputs that hold them:
// a directory tree of .json/.yaml files, a zip of them (osv.dev's per-ecosystem all.zip), or one file.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Advisory, Affected, AffectedRange, Cvss, RangeEvent } from '../core/advisory.ts';
import { reasonOf } from '../core/errors.ts';
import type { ImportRecord } from './build.ts';
import { cvssFromVector, severityFromWord } from './cvss.ts';
import { openZip } from './read-zip.ts';
import { isObject } from '../core/json.ts';

const strOf = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** The publisher of an OSV id, from its prefix: `GHSA-…` → `ghsa`, `PYSEC-…` → `pysec`, `CGA-…` → `cga`. */
export function osvPublisher(id: string): string {
  const i = id.indexOf('-');
  return (i > 0 ? id.slice(0, i) : id).toLowerCase();
}

function parseEvents(v: unknown): RangeEvent[] {
  const out: RangeEvent[] = [];
  if (!Array.isArray(v)) return out;
  for (const e of v) {
    if (!isObject(e)) continue;
    // YAML may turn `introduced: 0` into a number: versions are strings.
    const val = (k: string): string | undefined =>
      typeof e[k] === 'string' || typeof e[k] === 'number' ? String(e[k]) : undefined;
    const intro = val('introduced');
    const fixed = val('fixed');
    const last = val('last_affected');
    const limit = val('limit');
    if (intro !== undefined) out.push({ introduced: intro });
    else if (fixed !== undefined) out.push({ fixed });
    else if (last !== undefined) out.push({ last_affected: last });
    else if (limit !== undefined) out.push({ limit });
  }
  return out;
}

/**
 * One OSV record to an Advisory. Throws an Error with the reason when the record lacks what every OSV record has.
 * GIT ranges are dropped (commit ids match no installed package); affected entries without a package are dropped.
 */
export function parseOsvRecord(rec: unknown, source: string): Advisory {
  if (!isObject(rec)) throw new Error('record is not an object');
  const id = strOf(rec.id);
  if (!id) throw new Error('record has no id');
  const publisher = osvPublisher(id);
  const cvss: Cvss[] = [];
  let severity: Advisory['severity'];
  for (const s of Array.isArray(rec.severity) ? rec.severity : []) {
    if (!isObject(s) || typeof s.score !== 'string') continue;
    if (s.type === 'CVSS_V2' || s.type === 'CVSS_V3' || s.type === 'CVSS_V4') {
      const c = cvssFromVector(s.score, publisher);
      if (c) cvss.push(c);
    } else if (s.type === 'Ubuntu') {
      const r = severityFromWord(s.score);
      if (r) severity = { rating: r, source: 'ubuntu' };
    }
  }
  const dbSpecific = isObject(rec.database_specific) ? rec.database_specific : {};
  const vendor = severityFromWord(strOf(dbSpecific.severity));
  if (vendor) severity = { rating: vendor, source: publisher };

  const affected: Affected[] = [];
  for (const a of Array.isArray(rec.affected) ? rec.affected : []) {
    if (!isObject(a) || !isObject(a.package)) continue;
    const ecosystem = strOf(a.package.ecosystem);
    const name = strOf(a.package.name);
    if (!ecosystem || !name) continue;
    const ranges: AffectedRange[] = [];
    for (const r of Array.isArray(a.ranges) ? a.ranges : []) {
      if (!isObject(r) || (r.type !== 'ECOSYSTEM' && r.type !== 'SEMVER')) continue;
      ranges.push({ type: r.type, events: parseEvents(r.events) });
    }
    const versions = Array.isArray(a.versions)
      ? a.versions.filter((x) => typeof x === 'string' || typeof x === 'number').map(String)
      : [];
    const entry: Affected = { ecosystem, name, ranges, versions };
    const purl = strOf(a.package.purl);
    if (purl) entry.purl = purl;
    const eco = isObject(a.ecosystem_specific) ? a.ecosystem_specific : {};
    const dbs = isObject(a.database_specific) ? a.database_specific : {};
    const sev = severityFromWord(
      strOf(eco.severity) ?? strOf(eco.urgency) ?? strOf(eco.ubuntu_priority) ?? strOf(dbs.severity),
    );
    if (sev) entry.severity = sev;
    affected.push(entry);
  }

  const adv: Advisory = {
    id,
    aliases: [...new Set([...strings(rec.aliases), ...strings(rec.upstream)])].filter((x) => x !== id),
    source,
    cvss,
    references: strings(
      (Array.isArray(rec.references) ? rec.references : []).map((r) => (isObject(r) ? r.url : undefined)),
    ),
    affected,
  };
  const summary = strOf(rec.summary);
  if (summary) adv.summary = summary;
  const details = strOf(rec.details);
  if (details) adv.details = details;
  for (const k of ['published', 'modified', 'withdrawn'] as const) {
    const v = rec[k];
    if (typeof v === 'string' && v) adv[k] = v;
    else if (v instanceof Date) adv[k] = v.toISOString();
  }
  if (severity) adv.severity = severity;
  return adv;
}

const RECORD_FILE = /\.(json|ya?ml)$/i;

/** Records of one file's text: one record, an array of them, or `{ vulns: [...] }` (osv.dev API answers). */
function* recordsOfText(text: string, where: string, source: string): Generator<ImportRecord> {
  let doc: unknown;
  try {
    doc = /\.ya?ml$/i.test(where) ? parseYaml(text, { uniqueKeys: false }) : JSON.parse(text);
  } catch (err) {
    yield {
      kind: 'problem',
      path: where,
      message: `not valid ${/\.ya?ml$/i.test(where) ? 'YAML' : 'JSON'}: ${reasonOf(err).split('\n')[0]}`,
    };
    return;
  }
  const list = Array.isArray(doc) ? doc : isObject(doc) && Array.isArray(doc.vulns) ? doc.vulns : [doc];
  for (const rec of list) {
    try {
      yield { kind: 'advisory', advisory: parseOsvRecord(rec, source) };
    } catch (err) {
      yield { kind: 'problem', path: where, message: `not an OSV record: ${reasonOf(err)}` };
    }
  }
}

function* walkFiles(dir: string): Generator<string> {
  const names = readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  for (const d of names) {
    const p = join(dir, d.name);
    if (d.isDirectory()) yield* walkFiles(p);
    else if (d.isFile()) yield p;
  }
}

export interface OsvInputOptions {
  /** Advisory.source of every record (default `osv`) */
  source?: string;
  signal?: AbortSignal;
}

function* zipRecords(path: string, source: string, signal?: AbortSignal): Generator<ImportRecord> {
  const zip = openZip(path);
  try {
    for (const entry of zip.entries()) {
      if (entry.name.endsWith('/') || !RECORD_FILE.test(entry.name)) continue;
      signal?.throwIfAborted();
      const where = `${path}!${entry.name}`;
      let data: Buffer;
      try {
        data = zip.read(entry);
      } catch (err) {
        yield { kind: 'problem', path: where, message: reasonOf(err) };
        continue;
      }
      yield* recordsOfText(data.toString('utf8'), where, source);
    }
  } finally {
    zip.close();
  }
}

/** OSV records of a directory (recursive; .json/.yaml/.yml and .zip files), a zip, or one file. */
export async function* osvRecords(path: string, options: OsvInputOptions = {}): AsyncGenerator<ImportRecord> {
  const source = options.source ?? 'osv';
  const st = statSync(path);
  const files = st.isDirectory() ? walkFiles(path) : [path];
  for (const file of files) {
    options.signal?.throwIfAborted();
    if (/\.zip$/i.test(file)) {
      yield* zipRecords(file, source, options.signal);
      continue;
    }
    if (!RECORD_FILE.test(file)) continue;
    const where = st.isDirectory() ? join(path, relative(path, file)) : file;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      yield { kind: 'problem', path: where, message: `cannot read: ${reasonOf(err)}` };
      continue;
    }
    yield* recordsOfText(text, where, source);
  }
}
