// What names a Java archive: Maven's pom.properties (Java properties syntax), the JAR manifest's main section, or a
// versioned file name (`commons-text-1.10.0.jar`).

/** key → value of a .properties file (`#`/`!` comments, `=`, `:` or blank separators, `\` line continuations). */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].replace(/^[ \t\f]+/, '');
    if (line === '' || line[0] === '#' || line[0] === '!') continue;
    while (/(?:^|[^\\])(?:\\\\)*\\$/.test(line) && i + 1 < lines.length)
      line = line.slice(0, -1) + lines[++i].trimStart();
    const m = /^((?:\\.|[^=:\s\\])*)\s*[=:\s]\s*(.*)$/.exec(line);
    const key = (m ? m[1] : line).replace(/\\(.)/g, '$1');
    out.set(key, m ? m[2].trim() : '');
  }
  return out;
}

export function parsePomProperties(text: string): { groupId?: string; artifactId?: string; version?: string } {
  const p = parseProperties(text);
  return {
    groupId: p.get('groupId') || undefined,
    artifactId: p.get('artifactId') || undefined,
    version: p.get('version') || undefined,
  };
}

/** The main section's attributes (continuation lines begin with one space), case-insensitive names. */
export function manifestAttributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let last: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (raw === '') break; // end of the main section
    if (raw.startsWith(' ') && last) {
      out.set(last, out.get(last)! + raw.slice(1));
      continue;
    }
    const c = raw.indexOf(':');
    if (c <= 0) continue;
    last = raw.slice(0, c).trim().toLowerCase();
    out.set(last, raw.slice(c + 1).trim());
  }
  return out;
}

/** name, version and group from a manifest: Implementation-*, then Bundle-*, then Specification-* fields. */
export function parseManifest(text: string): { name?: string; version?: string; groupId?: string } {
  const a = manifestAttributes(text);
  const bundle = a.get('bundle-symbolicname')?.split(';')[0].trim();
  const name = a.get('implementation-title') || bundle || a.get('specification-title') || undefined;
  const version =
    a.get('implementation-version') || a.get('bundle-version') || a.get('specification-version') || undefined;
  const vendorId = a.get('implementation-vendor-id');
  const groupId = vendorId && /^[a-z][\w-]*(?:\.[\w-]+)+$/.test(vendorId) ? vendorId : undefined;
  return { name, version, groupId };
}

/** `commons-text-1.10.0.jar` → commons-text 1.10.0; undefined when the name carries no version. */
export function javaIdentityFromFileName(file: string): { artifactId: string; version: string } | undefined {
  const m = /^(.+?)-(\d[\w.+~-]*?)(?:\.(?:jar|war|ear|jpi|hpi))$/i.exec(file);
  return m ? { artifactId: m[1], version: m[2] } : undefined;
}
