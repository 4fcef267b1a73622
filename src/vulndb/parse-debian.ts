// Debian security tracker JSON (https://security-tracker.debian.org/tracker/data/json) and DSA/DLA lists.
//
// Tracker JSON: { <source package>: { <CVE or TEMP id>: { description, releases: { <codename>: { status,
// fixed_version, urgency, nodsa, nodsa_reason, repositories } } } } }. Each (CVE, release, package) becomes one
// affected entry with ecosystem `Debian:<major>` (sid is skipped: it has no major version):
// - resolved + fixed_version `0`: not affected → no entry
// - resolved → range {introduced 0, fixed <fixed_version>}, fixState fixed
// - open → range {introduced 0}, fixState not-fixed; `<no-dsa>` and `<ignored>` → wont-fix (statusNote
//   `no-dsa: <text>` / `ignored: <text>`); `<postponed>` → not-fixed, statusNote `postponed: <text>`
// - undetermined → fixState unknown, statusNote `undetermined`
// - urgency `end-of-life` → fixState end-of-life; `unimportant` → severity negligible; `**` (unverified) dropped.
import { readFileSync } from 'node:fs';
import type { Advisory, Affected, FixState } from '../core/advisory.ts';
import { reasonOf } from '../core/errors.ts';
import type { ImportRecord } from './build.ts';
import { severityFromWord } from './cvss.ts';
import { openFeedFile, streamJsonContainers } from './json-stream.ts';
import { isObject } from '../core/json.ts';

export const DEBIAN_RELEASES: Readonly<Record<string, string>> = {
  wheezy: '7',
  jessie: '8',
  stretch: '9',
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
  forky: '14',
  duke: '15',
};

type Json = Record<string, unknown>;
const strOf = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** One release status of the tracker to an affected entry; undefined when the release is not affected. */
export function debianAffected(pkg: string, codename: string, rel: Json): Affected | undefined {
  const major = DEBIAN_RELEASES[codename];
  if (!major) return undefined;
  const status = strOf(rel.status);
  const fixed = strOf(rel.fixed_version);
  const urgency = strOf(rel.urgency)?.replace(/\*+$/, '');
  const entry: Affected = { ecosystem: `Debian:${major}`, name: pkg, ranges: [], versions: [] };
  let fixState: FixState;
  const notes: string[] = [];
  if (status === 'resolved') {
    if (!fixed || fixed === '0') return undefined;
    entry.ranges.push({ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] });
    fixState = 'fixed';
  } else {
    entry.ranges.push({ type: 'ECOSYSTEM', events: [{ introduced: '0' }] });
    if (status === 'undetermined') {
      fixState = 'unknown';
      notes.push('undetermined');
    } else {
      fixState = 'not-fixed';
      const reason = strOf(rel.nodsa_reason);
      const nodsa = strOf(rel.nodsa);
      if (reason === 'postponed') notes.push(`postponed${nodsa ? `: ${nodsa}` : ''}`);
      else if (reason === 'ignored') {
        fixState = 'wont-fix';
        notes.push(`ignored${nodsa ? `: ${nodsa}` : ''}`);
      } else if ('nodsa' in rel) {
        fixState = 'wont-fix';
        notes.push(`no-dsa${nodsa ? `: ${nodsa}` : ''}`);
      }
    }
  }
  if (urgency === 'end-of-life') {
    fixState = fixState === 'fixed' ? fixState : 'end-of-life';
    notes.push('end-of-life');
  }
  if (urgency === 'unimportant') notes.push('unimportant');
  const sev = severityFromWord(urgency);
  if (sev && sev !== 'unknown') entry.severity = sev;
  entry.fixState = fixState;
  if (notes.length) entry.statusNote = notes.join('; ');
  return entry;
}

/** Records of a tracker JSON file (plain or .gz), streamed package by package. */
export async function* debianTrackerRecords(
  path: string,
  source: string,
  signal?: AbortSignal,
): AsyncGenerator<ImportRecord> {
  let packages = 0;
  try {
    for await (const { path: keys, value } of streamJsonContainers(openFeedFile(path), 1)) {
      if (++packages % 500 === 0) signal?.throwIfAborted();
      const pkg = String(keys[0]);
      if (!isObject(value)) {
        yield { kind: 'problem', path: `${path}#${pkg}`, message: 'package entry is not an object' };
        continue;
      }
      for (const [id, cve] of Object.entries(value)) {
        if (!isObject(cve) || !isObject(cve.releases)) {
          yield { kind: 'problem', path: `${path}#${pkg}/${id}`, message: 'no releases object' };
          continue;
        }
        const affected: Affected[] = [];
        for (const [codename, rel] of Object.entries(cve.releases)) {
          if (!isObject(rel)) continue;
          const a = debianAffected(pkg, codename, rel);
          if (a) affected.push(a);
        }
        if (affected.length === 0) continue;
        const adv: Advisory = {
          id,
          aliases: [],
          source,
          cvss: [],
          references: [`https://security-tracker.debian.org/tracker/${id}`],
          affected,
        };
        const desc = strOf(cve.description);
        if (desc) adv.summary = desc;
        yield { kind: 'advisory', advisory: adv };
      }
    }
  } catch (err) {
    if ((err as Error)?.name === 'AbortError') throw err;
    yield { kind: 'problem', path, message: `tracker JSON unreadable after ${packages} packages: ${reasonOf(err)}` };
  }
}

/**
 * Records of a DSA or DLA list (`data/DSA/list` of the tracker repository): each advisory's fixed versions per release,
 * e.g. `[29 Mar 2023] DSA-5380-1 xorg-server - security update` / `{CVE-…}` / `[bullseye] - xorg-server
 * 2:1.20.11-1+deb11u6`.
 */
export async function* debianListRecords(path: string, source: string): AsyncGenerator<ImportRecord> {
  const lines = readFileSync(path, 'utf8').split('\n');
  let cur: Advisory | undefined;
  const flush = function* (): Generator<ImportRecord> {
    if (cur && cur.affected.length > 0) yield { kind: 'advisory', advisory: cur };
    cur = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const head = /^\[(\d{1,2} \w{3} \d{4})\] ((?:DSA|DLA|DTSA)-[\d-]+)\s+(.*)$/.exec(line);
    if (head) {
      yield* flush();
      const published = new Date(`${head[1]} UTC`);
      cur = { id: head[2], aliases: [], source, cvss: [], references: [], affected: [], summary: head[3].trim() };
      if (!Number.isNaN(published.getTime())) cur.published = published.toISOString();
      continue;
    }
    if (!cur) {
      if (line.trim()) yield { kind: 'problem', path: `${path}:${i + 1}`, message: 'line outside any advisory' };
      continue;
    }
    const cves = /^\s+\{([^}]*)\}/.exec(line);
    if (cves) {
      cur.aliases.push(...cves[1].split(/\s+/).filter(Boolean));
      continue;
    }
    const fix = /^\s+\[(\w+)\] - (\S+) (\S+)/.exec(line);
    if (fix) {
      const major = DEBIAN_RELEASES[fix[1]];
      if (major && fix[3] !== '<not-affected>') {
        cur.affected.push({
          ecosystem: `Debian:${major}`,
          name: fix[2],
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: fix[3] }] }],
          versions: [],
          fixState: 'fixed',
        });
      }
      continue;
    }
    if (line.trim() && !/^\s+(NOTE|TODO)/.test(line))
      yield { kind: 'problem', path: `${path}:${i + 1}`, message: `unrecognized line: ${line.trim().slice(0, 80)}` };
  }
  yield* flush();
}
