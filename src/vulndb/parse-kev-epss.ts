// CISA Known Exploited Vulnerabilities catalog JSON and FIRST EPSS scores (CSV, plain or .gz) → CVE enrichment.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { reasonOf } from '../core/errors.ts';
import type { ImportRecord } from './build.ts';
import { openFeedFile } from './json-stream.ts';
import { isObject } from '../core/json.ts';

const strOf = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const CVE = /^CVE-\d{4}-\d{4,}$/;

/** The catalog (`{ catalogVersion, dateReleased, vulnerabilities: [...] }`), a list of entries, or one entry. */
export async function* kevRecords(path: string): AsyncGenerator<ImportRecord> {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    yield { kind: 'problem', path, message: `not valid JSON: ${reasonOf(err)}` };
    return;
  }
  const list =
    isObject(doc) && Array.isArray(doc.vulnerabilities) ? doc.vulnerabilities : Array.isArray(doc) ? doc : [doc];
  if (isObject(doc) && strOf(doc.dateReleased)) yield { kind: 'snapshot', snapshot: String(doc.dateReleased) };
  for (const [i, v] of list.entries()) {
    const id = isObject(v) ? strOf(v.cveID) : undefined;
    const dateAdded = isObject(v) ? strOf(v.dateAdded) : undefined;
    if (!isObject(v) || !id || !CVE.test(id) || !dateAdded) {
      yield { kind: 'problem', path: `${path}#${i}`, message: 'KEV entry lacks cveID or dateAdded' };
      continue;
    }
    const kev: { dateAdded: string; dueDate?: string; knownRansomware?: boolean } = { dateAdded };
    const due = strOf(v.dueDate);
    if (due) kev.dueDate = due;
    const ransom = strOf(v.knownRansomwareCampaignUse);
    if (ransom) kev.knownRansomware = ransom.toLowerCase() === 'known';
    yield { kind: 'enrichment', enrichment: { id, kev } };
  }
}

/**
 * EPSS CSV: an optional `#model_version:…,score_date:…` comment, the header `cve,epss,percentile`, then one row per
 * CVE. Streamed line by line. A JSON file of `{cve, epss, percentile, date}` objects is read too.
 */
export async function* epssRecords(path: string): AsyncGenerator<ImportRecord> {
  if (/\.json$/i.test(path)) {
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      yield { kind: 'problem', path, message: `not valid JSON: ${reasonOf(err)}` };
      return;
    }
    const list = Array.isArray(doc) ? doc : isObject(doc) && Array.isArray(doc.data) ? doc.data : [doc];
    for (const [i, v] of list.entries()) {
      const id = isObject(v) ? strOf(v.cve) : undefined;
      const score = isObject(v) ? Number(v.epss) : NaN;
      const percentile = isObject(v) ? Number(v.percentile) : NaN;
      if (!id || !CVE.test(id) || !Number.isFinite(score) || !Number.isFinite(percentile)) {
        yield { kind: 'problem', path: `${path}#${i}`, message: 'EPSS entry lacks cve, epss or percentile' };
        continue;
      }
      const date = isObject(v) ? strOf(v.date) : undefined;
      yield { kind: 'enrichment', enrichment: { id, epss: { score, percentile, ...(date ? { date } : {}) } } };
    }
    return;
  }
  let date: string | undefined;
  let cols: { cve: number; epss: number; percentile: number } | undefined;
  let n = 0;
  for await (const raw of createInterface({ input: openFeedFile(path), crlfDelay: Infinity })) {
    n++;
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      const m = /score_date:([^,\s]+)/.exec(line);
      if (m) {
        date = m[1].slice(0, 10);
        yield { kind: 'snapshot', snapshot: m[1] };
      }
      continue;
    }
    const f = line.split(',');
    if (!cols) {
      const h = f.map((x) => x.trim().toLowerCase());
      cols = { cve: h.indexOf('cve'), epss: h.indexOf('epss'), percentile: h.indexOf('percentile') };
      if (cols.cve < 0 || cols.epss < 0 || cols.percentile < 0) {
        yield { kind: 'problem', path, message: `line ${n}: header is not cve,epss,percentile` };
        return;
      }
      continue;
    }
    const id = f[cols.cve];
    const score = Number(f[cols.epss]);
    const percentile = Number(f[cols.percentile]);
    if (!CVE.test(id ?? '') || !Number.isFinite(score) || !Number.isFinite(percentile)) {
      yield { kind: 'problem', path: `${path}:${n}`, message: `malformed EPSS row: ${line.slice(0, 80)}` };
      continue;
    }
    yield { kind: 'enrichment', enrichment: { id, epss: { score, percentile, ...(date ? { date } : {}) } } };
  }
}
