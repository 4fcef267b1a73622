// `.zerocve-ignore.yaml`: rules that hide findings, each with a required reason, an optional expiry and optional
// conditions (notably the host NVIDIA driver version, for CUDA CVEs NVIDIA fixes in the driver).
import { readFileSync } from 'node:fs';
import { parseDocument, LineCounter } from 'yaml';
import { UsageError } from '../core/errors.ts';

export interface IgnoreRule {
  /** vulnerability ids or aliases (CVE-…, GHSA-…, ZCVE-DEP-…); globs allowed */
  ids: string[];
  /** package name, purl, or glob over the name */
  packages: string[];
  /** glob over the package's location paths */
  paths: string[];
  reason: string;
  /** YYYY-MM-DD; the rule stops applying after this day (UTC) */
  expires?: string;
  /** e.g. `>=550.54.15` or `>=535.104.05, <540`: applies only when the host driver satisfies it */
  driver?: string;
  /** `file:line` for explanations */
  where: string;
}

const KEYS = new Set(['id', 'ids', 'package', 'packages', 'path', 'paths', 'reason', 'expires', 'driver']);

function list(v: unknown, where: string, key: string): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return v.map(String);
  throw new UsageError(`${where}: '${key}' must be a string or a list of strings`);
}

/** Parse an ignore file's text; `file` names it in errors. */
export function parseIgnoreFile(text: string, file: string): IgnoreRule[] {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  if (doc.errors.length)
    throw new UsageError(`ignore file ${file}: not valid YAML: ${doc.errors[0].message.split('\n')[0]}`);
  const root = doc.contents as unknown as { items?: unknown[] } | null;
  if (root === null) return [];
  const js = doc.toJS() as unknown;
  const rulesJs = Array.isArray(js) ? js : (js as { rules?: unknown })?.rules;
  if (!Array.isArray(rulesJs)) throw new UsageError(`ignore file ${file}: expected a list of rules under 'rules:'`);
  // positions of each rule for `file:line` explanations
  const seq = (Array.isArray(js) ? doc.contents : doc.get('rules', true)) as
    { items?: { range?: number[] }[] } | undefined;
  return rulesJs.map((r, i) => {
    const pos = seq?.items?.[i]?.range?.[0];
    const where = `${file}:${pos !== undefined ? lc.linePos(pos).line : '?'}`;
    if (typeof r !== 'object' || r === null || Array.isArray(r))
      throw new UsageError(`${where}: a rule must be a mapping`);
    const o = r as Record<string, unknown>;
    for (const k of Object.keys(o))
      if (!KEYS.has(k)) throw new UsageError(`${where}: unknown key '${k}' (known: ${[...KEYS].join(', ')})`);
    const rule: IgnoreRule = {
      ids: [...list(o.id, where, 'id'), ...list(o.ids, where, 'ids')],
      packages: [...list(o.package, where, 'package'), ...list(o.packages, where, 'packages')],
      paths: [...list(o.path, where, 'path'), ...list(o.paths, where, 'paths')],
      reason: typeof o.reason === 'string' ? o.reason.trim() : '',
      where,
    };
    if (!rule.reason) throw new UsageError(`${where}: every rule needs a 'reason'`);
    if (!rule.ids.length && !rule.packages.length && !rule.paths.length)
      throw new UsageError(`${where}: a rule needs at least one of id, package, path`);
    if (o.expires !== undefined) {
      const e = o.expires instanceof Date ? o.expires.toISOString().slice(0, 10) : String(o.expires);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(e) || Number.isNaN(Date.parse(e)))
        throw new UsageError(`${where}: 'expires' must be a date YYYY-MM-DD, got '${e}'`);
      rule.expires = e;
    }
    if (o.driver !== undefined) {
      if (typeof o.driver !== 'string' && typeof o.driver !== 'number')
        throw new UsageError(`${where}: 'driver' must be a version condition like ">=550.54.15"`);
      rule.driver = String(o.driver);
    }
    return rule;
  });
}

export function readIgnoreFile(path: string): IgnoreRule[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(
      `ignore file ${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      { cause: err },
    );
  }
  return parseIgnoreFile(text, path);
}
