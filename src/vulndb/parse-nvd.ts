// NVD CVE API 2.0 records (`vulnerabilities[].cve`, a single `{cve}` or a bare cve object; files or .gz feeds).
// Every record gives enrichment (CVSS v4.0/v3.1/v3.0/v2). Records whose configurations name a vulnerable NVIDIA
// CPE (vendor `nvidia`) also give an advisory with affected entries `{ ecosystem: 'NVIDIA', name: <CPE product> }`
// and ranges of type CPE, encoded as documented on AffectedRange in src/core/advisory.ts.
import { readFileSync, statSync } from 'node:fs';
import type { Advisory, Affected, Cvss, RangeEvent } from '../core/advisory.ts';
import { reasonOf } from '../core/errors.ts';
import type { ImportRecord } from './build.ts';
import { cvssFromVector } from './cvss.ts';
import { openFeedFile, streamJsonContainers } from './json-stream.ts';
import { isObject } from '../core/json.ts';

type Json = Record<string, unknown>;
const strOf = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

const METRIC_KEYS: [string, Cvss['version'] | undefined][] = [
  ['cvssMetricV40', '4.0'],
  ['cvssMetricV31', '3.1'],
  ['cvssMetricV30', '3.0'],
  ['cvssMetricV2', '2.0'],
];

function metricsOf(cve: Json): Cvss[] {
  const out: Cvss[] = [];
  const metrics = isObject(cve.metrics) ? cve.metrics : {};
  for (const [key] of METRIC_KEYS) {
    for (const m of arr(metrics[key])) {
      if (!isObject(m) || !isObject(m.cvssData)) continue;
      const vector = strOf(m.cvssData.vectorString);
      if (!vector) continue;
      const src = strOf(m.source);
      const who = m.type === 'Primary' || src === 'nvd@nist.gov' ? 'nvd' : `nvd:${src ?? 'secondary'}`;
      const score = typeof m.cvssData.baseScore === 'number' ? m.cvssData.baseScore : undefined;
      const c = cvssFromVector(vector, who, score);
      if (c) out.push(c);
    }
  }
  return out;
}

/** `cpe:2.3:part:vendor:product:version:…` split on unescaped colons. */
export function splitCpe(cpe: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < cpe.length; i++) {
    const c = cpe[i];
    if (c === '\\' && i + 1 < cpe.length) {
      cur += cpe[i + 1];
      i++;
      continue;
    }
    if (c === ':') {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}

/** One vulnerable cpeMatch to an affected entry's range (or exact version). */
export function cpeMatchToAffected(m: Json): Affected | undefined {
  const criteria = strOf(m.criteria);
  if (!criteria || m.vulnerable === false) return undefined;
  const parts = splitCpe(criteria);
  if (parts[0] !== 'cpe' || parts[1] !== '2.3' || parts[3] !== 'nvidia') return undefined;
  const product = parts[4];
  const version = parts[5] ?? '*';
  const entry: Affected = {
    ecosystem: 'NVIDIA',
    name: product,
    ranges: [],
    versions: [],
    statusNote: `cpe: ${criteria}`,
  };
  const si = strOf(m.versionStartIncluding);
  const se = strOf(m.versionStartExcluding);
  const ei = strOf(m.versionEndIncluding);
  const ee = strOf(m.versionEndExcluding);
  if (si || se || ei || ee) {
    const events: RangeEvent[] = [{ introduced: si ?? (se ? `>${se}` : '0') }];
    if (ee) events.push({ fixed: ee });
    else if (ei) events.push({ last_affected: ei });
    entry.ranges.push({ type: 'CPE', events });
  } else if (version === '*') {
    entry.ranges.push({ type: 'CPE', events: [{ introduced: '0' }] });
  } else if (version !== '-') {
    const update = parts[6];
    entry.versions.push(update && update !== '*' && update !== '-' ? `${version}:${update}` : version);
  } else return undefined;
  return entry;
}

function* nodesOf(cve: Json): Generator<Json> {
  for (const conf of arr(cve.configurations)) {
    if (!isObject(conf)) continue;
    for (const node of arr(conf.nodes)) if (isObject(node)) yield node;
  }
}

/** One NVD cve object to its records (enrichment, and an advisory when it names NVIDIA products). */
export function nvdCveRecords(cve: Json, source: string, where: string): ImportRecord[] {
  const id = strOf(cve.id);
  if (!id) return [{ kind: 'problem', path: where, message: 'NVD record has no cve.id' }];
  const cvss = metricsOf(cve);
  const out: ImportRecord[] = [];
  if (cvss.length) out.push({ kind: 'enrichment', enrichment: { id, cvss } });
  const affected: Affected[] = [];
  const seen = new Set<string>();
  for (const node of nodesOf(cve)) {
    for (const m of arr(node.cpeMatch)) {
      if (!isObject(m)) continue;
      const a = cpeMatchToAffected(m);
      if (!a) continue;
      const key = JSON.stringify(a);
      if (!seen.has(key)) {
        seen.add(key);
        affected.push(a);
      }
    }
  }
  if (affected.length) {
    const desc = arr(cve.descriptions).find((d) => isObject(d) && d.lang === 'en') as Json | undefined;
    const adv: Advisory = {
      id,
      aliases: [],
      source,
      cvss,
      references: arr(cve.references)
        .map((r) => (isObject(r) ? strOf(r.url) : undefined))
        .filter((u): u is string => !!u),
      affected,
    };
    const summary = strOf(desc?.value);
    if (summary) adv.summary = summary;
    const published = strOf(cve.published);
    if (published) adv.published = published;
    const modified = strOf(cve.lastModified);
    if (modified) adv.modified = modified;
    if (cve.vulnStatus === 'Rejected') adv.withdrawn = modified ?? published ?? '';
    out.push({ kind: 'advisory', advisory: adv });
  }
  return out;
}

const SMALL = 32 * 1024 * 1024;

/** Records of an NVD 2.0 file: API page or yearly feed (streamed), `{cve}` wrapper, or bare cve record. */
export async function* nvdFileRecords(
  path: string,
  source: string,
  signal?: AbortSignal,
): AsyncGenerator<ImportRecord> {
  if (statSync(path).size <= SMALL && !/\.gz$/i.test(path)) {
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      yield { kind: 'problem', path, message: `not valid JSON: ${reasonOf(err)}` };
      return;
    }
    if (isObject(doc) && Array.isArray(doc.vulnerabilities)) {
      for (const [i, v] of doc.vulnerabilities.entries()) {
        if (isObject(v) && isObject(v.cve)) yield* nvdCveRecords(v.cve, source, `${path}#${i}`);
        else yield { kind: 'problem', path: `${path}#${i}`, message: 'vulnerabilities entry has no cve object' };
      }
      if (strOf(doc.timestamp)) yield { kind: 'snapshot', snapshot: String(doc.timestamp) };
    } else if (isObject(doc) && isObject(doc.cve)) yield* nvdCveRecords(doc.cve, source, path);
    else if (isObject(doc) && strOf(doc.id)) yield* nvdCveRecords(doc, source, path);
    else yield { kind: 'problem', path, message: 'not an NVD 2.0 record or response' };
    return;
  }
  let n = 0;
  try {
    for await (const { path: keys, value } of streamJsonContainers(openFeedFile(path), 2)) {
      if (keys[0] !== 'vulnerabilities') continue;
      if (++n % 1000 === 0) signal?.throwIfAborted();
      if (isObject(value) && isObject(value.cve)) yield* nvdCveRecords(value.cve, source, `${path}#${keys[1]}`);
      else yield { kind: 'problem', path: `${path}#${keys[1]}`, message: 'vulnerabilities entry has no cve object' };
    }
  } catch (err) {
    if ((err as Error)?.name === 'AbortError') throw err;
    yield { kind: 'problem', path, message: `NVD feed unreadable after ${n} records: ${reasonOf(err)}` };
  }
}
