// os-release (freedesktop.org): KEY=value lines, values optionally quoted with shell-like escapes.
// Also the one-line release files older or minimal images carry instead.
import type { OsInfo } from '../../core/package.ts';

/** KEY=value pairs of an os-release file. Malformed lines are ignored, as systemd does. */
export function parseOsReleaseFields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    out.set(m[1], unquote(m[2]));
  }
  return out;
}

function unquote(v: string): string {
  const q = v[0];
  if ((q === '"' || q === "'") && v.length >= 2 && v.endsWith(q)) {
    const inner = v.slice(1, -1);
    return q === '"' ? inner.replace(/\\(["\\`$])/g, '$1') : inner;
  }
  return v;
}

/** OsInfo from an os-release file; undefined when it has no ID. */
export function parseOsRelease(text: string, path: string): OsInfo | undefined {
  const f = parseOsReleaseFields(text);
  const id = f.get('ID')?.toLowerCase();
  if (!id) return undefined;
  const os: OsInfo = { id, versionId: f.get('VERSION_ID') ?? '', path };
  const pretty = f.get('PRETTY_NAME');
  if (pretty) os.prettyName = pretty;
  const codename = f.get('VERSION_CODENAME');
  if (codename) os.versionCodename = codename;
  const like = f.get('ID_LIKE');
  if (like) os.idLike = like.split(/\s+/).filter(Boolean);
  return os;
}

/** Names used in /etc/redhat-release and /etc/system-release, longest first, mapped to os-release IDs. */
const RELEASE_NAMES: [RegExp, string][] = [
  [/^Red Hat Enterprise Linux/i, 'rhel'],
  [/^Rocky Linux/i, 'rocky'],
  [/^AlmaLinux/i, 'almalinux'],
  [/^CentOS Stream/i, 'centos'],
  [/^CentOS/i, 'centos'],
  [/^Amazon Linux AMI/i, 'amzn'],
  [/^Amazon Linux/i, 'amzn'],
  [/^Fedora/i, 'fedora'],
  [/^Oracle Linux/i, 'ol'],
];

/** `Rocky Linux release 9.3 (Blue Onyx)` → rocky 9.3. Undefined when the distribution is not recognized. */
export function parseRedhatRelease(text: string, path: string): OsInfo | undefined {
  const line = text.split('\n')[0].trim();
  const hit = RELEASE_NAMES.find(([re]) => re.test(line));
  if (!hit) return undefined;
  const v = /release\s+([0-9][^\s()]*)/i.exec(line);
  const os: OsInfo = { id: hit[1], versionId: v ? v[1] : '', path, prettyName: line };
  const code = /\(([^)]+)\)/.exec(line);
  if (code) os.versionCodename = code[1];
  return os;
}

/** /etc/alpine-release or /etc/debian_version: the version on the first line (`12.5`, `3.19.1`, `trixie/sid`). */
export function parseVersionFile(text: string, id: 'alpine' | 'debian', path: string): OsInfo | undefined {
  const v = text.split('\n')[0].trim();
  if (v === '') return undefined;
  // `bookworm/sid`: a development release has no version number
  if (!/^[0-9]/.test(v)) return { id, versionId: '', versionCodename: v.split('/')[0], path };
  return { id, versionId: v, path };
}
