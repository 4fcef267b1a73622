// Tolerant package-URL matching for VEX statements and ignore rules. Other scanners compare purls as strings, so a
// statement for `pkg:deb/debian/openssl@3.0.11-1~deb12u2?distro=debian-12` silently fails to match a package
// recorded as `…?arch=amd64&distro=debian-12.13`. The rule here: type, namespace and name must be equal (names
// case-insensitive for PyPI with PEP 503 folding); a version in the statement must equal the package's; each
// qualifier the statement gives must agree where the package has it too — `distro` agreeing by release prefix
// (`debian-12` matches `debian-12.13`), `arch` ignoring `all`/absent — and qualifiers the package lacks are ignored.
import { foldPackageName, packageTypeOfPurlType } from '../core/package-types.ts';
import { parsePurl, type ParsedPurl } from '../core/purl.ts';

/** names compared the way their package type compares them; purl types zerocve does not model: case-insensitive */
const normName = (purlType: string, name: string): string => {
  const type = packageTypeOfPurlType(purlType);
  return type ? foldPackageName(type, name) : name.toLowerCase();
};

function distroAgrees(a: string, b: string): boolean {
  const x = a.toLowerCase(),
    y = b.toLowerCase();
  if (x === y) return true;
  // debian-12 ~ debian-12.13 ; alpine-3.19 ~ alpine-3.19.1 ; also codename forms (debian-bookworm) are left unequal
  return x.startsWith(y + '.') || y.startsWith(x + '.');
}

/**
 * Whether `pattern` (from a VEX statement or ignore rule) designates package `purl`. Returns a reason string when
 * it does not (for explaining non-matches), or true.
 */
export function purlMatches(pattern: string, purl: string): true | string {
  const p = parsePurl(pattern);
  if (!p) return `not a valid purl: ${pattern}`;
  const q = parsePurl(purl);
  if (!q) return `package has no valid purl: ${purl}`;
  if (p.type !== q.type) return `type ${p.type} ≠ ${q.type}`;
  if ((p.namespace ?? '').toLowerCase() !== (q.namespace ?? '').toLowerCase())
    return `namespace ${p.namespace ?? '∅'} ≠ ${q.namespace ?? '∅'}`;
  if (normName(p.type, p.name) !== normName(q.type, q.name)) return `name ${p.name} ≠ ${q.name}`;
  if (p.version !== undefined && p.version !== q.version) {
    // deb purls may carry the epoch as a qualifier (Trivy) or inside the version (Syft)
    const withEpoch = (v: ParsedPurl) =>
      v.qualifiers.epoch && v.version && !v.version.includes(':') ? `${v.qualifiers.epoch}:${v.version}` : v.version;
    if (withEpoch(p) !== withEpoch(q)) return `version ${p.version} ≠ ${q.version ?? '∅'}`;
  }
  for (const [k, v] of Object.entries(p.qualifiers)) {
    const other = q.qualifiers[k];
    if (other === undefined || k === 'epoch') continue;
    if (k === 'distro') {
      if (!distroAgrees(v, other)) return `distro ${v} ≠ ${other}`;
      continue;
    }
    if (k === 'arch') {
      if (v !== other && v !== 'all' && other !== 'all' && v !== 'noarch' && other !== 'noarch')
        return `arch ${v} ≠ ${other}`;
      continue;
    }
    if (v !== other) return `qualifier ${k}=${v} ≠ ${other}`;
  }
  return true;
}
