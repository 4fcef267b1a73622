// conda's per-package install record: <prefix>/conda-meta/<name>-<version>-<build>.json.
import { posix } from 'node:path';
import type { Package } from '../../core/package.ts';
import { newPackage } from '../common.ts';

/**
 * `https://repo.anaconda.com/pkgs/main/linux-64` → `pkgs/main`; `https://conda.anaconda.org/conda-forge/noarch`
 * → `conda-forge`; names without a scheme are kept (minus a trailing subdir).
 */
export function normalizeChannel(channel: string, subdir?: string): string {
  let c = channel.trim().replace(/\/+$/, '');
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/]+\/?(.*)$/i.exec(c);
  if (m) c = m[1];
  if (subdir && c.endsWith(`/${subdir}`)) c = c.slice(0, -subdir.length - 1);
  return c;
}

export function parseCondaMeta(text: string, prefix: string): { pkg?: Package; error?: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { error: `invalid JSON: ${(err as Error).message}` };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { error: 'not a JSON object' };
  const o = doc as Record<string, unknown>;
  const s = (k: string): string | undefined => (typeof o[k] === 'string' && o[k] !== '' ? (o[k] as string) : undefined);
  const name = s('name');
  const version = s('version');
  if (!name) return { error: 'no name' };
  if (!version) return { error: `package ${name} has no version` };
  const subdir = s('subdir');
  const meta: Package['metadata'] & { kind: 'conda' } = { kind: 'conda', build: s('build') ?? '', condaPrefix: prefix };
  const channel = s('channel');
  if (channel) meta.channel = normalizeChannel(channel, subdir);
  if (subdir) meta.subdir = subdir;
  const files = Array.isArray(o.files)
    ? o.files.filter((f): f is string => typeof f === 'string').map((f) => posix.resolve(prefix, f))
    : [];
  const license = s('license');
  return { pkg: newPackage('conda', name, version, meta, { licenses: license ? [license] : undefined, files }) };
}
