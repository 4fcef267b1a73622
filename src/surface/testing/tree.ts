// Test support: a real directory seen as a merged file system (one layer), analyzers run over it the way the
// layer walker runs them, and a dpkg inventory read from the root's own database.
import { createReadStream, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Analyzer } from '../../core/analyzer.ts';
import type { EntryType, MergedEntry } from '../../core/entry.ts';
import type { Fact } from '../../core/fact.ts';
import type { Inventory, Package } from '../../core/package.ts';

/** Every entry under `root` as image paths; a second name of a hard-linked file becomes a `hardlink` entry of size 0. */
export function listRoot(root: string, layer = 0): MergedEntry[] {
  const out: MergedEntry[] = [];
  const inodes = new Map<string, string>();
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const source = join(dir, name);
      const path = `${rel}/${name}`;
      const st = lstatSync(source);
      let type: EntryType = st.isFile()
        ? 'file'
        : st.isDirectory()
          ? 'dir'
          : st.isSymbolicLink()
            ? 'symlink'
            : st.isCharacterDevice()
              ? 'char'
              : st.isBlockDevice()
                ? 'block'
                : 'fifo';
      let linkTarget: string | undefined;
      if (type === 'symlink') linkTarget = readlinkSync(source);
      if (type === 'file' && st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        const first = inodes.get(key);
        if (first) {
          type = 'hardlink';
          linkTarget = first;
        } else inodes.set(key, path);
      }
      out.push({
        path,
        type,
        mode: st.mode & 0o7777,
        uid: st.uid,
        gid: st.gid,
        size: type === 'file' ? st.size : 0,
        mtime: Math.floor(st.mtimeMs / 1000),
        layer,
        ...(linkTarget !== undefined ? { linkTarget } : {}),
      });
      if (type === 'dir') walk(source, path);
    }
  };
  walk(root, '');
  return out;
}

/** Runs analyzers over the entries' bytes under `root`, as the walker would (wants → analyze or sink). */
export async function analyzeRoot(
  root: string,
  entries: Iterable<MergedEntry>,
  analyzers: Analyzer[],
): Promise<Fact[]> {
  const out: Fact[] = [];
  for (const entry of entries) {
    for (const a of analyzers) {
      const want = a.wants(entry);
      if (want === null) continue;
      const source = join(root, entry.path);
      if (want === 'header') out.push(...(await a.analyze!(entry, null)));
      else if (want === 'stream') {
        const sink = a.sink!(entry);
        for await (const chunk of createReadStream(source, { highWaterMark: 256 * 1024 })) sink.write(chunk as Buffer);
        out.push(...(await sink.end()));
      } else if (entry.size > want.maxBytes)
        out.push({
          kind: 'problem',
          path: entry.path,
          analyzer: a.name,
          message: `${entry.path}: ${entry.size} bytes exceeds ${want.maxBytes}`,
        });
      else out.push(...(await a.analyze!(entry, readFileSync(source))));
    }
  }
  return out;
}

/** dpkg packages with their owned files, from ROOT/var/lib/dpkg (status + info/*.list). */
export function dpkgInventory(root: string): Inventory {
  const status = readFileSync(join(root, 'var/lib/dpkg/status'), 'utf8');
  const packages: Package[] = [];
  for (const para of status.split(/\n\n+/)) {
    const field = (f: string) => new RegExp(`^${f}: (.*)$`, 'm').exec(para)?.[1];
    const name = field('Package'),
      version = field('Version'),
      arch = field('Architecture') ?? '';
    if (!name || !version || !/installed$/.test(field('Status') ?? '')) continue;
    let list = '';
    for (const candidate of [`${name}:${arch}.list`, `${name}.list`]) {
      try {
        list = readFileSync(join(root, 'var/lib/dpkg/info', candidate), 'utf8');
        break;
      } catch {
        /* next */
      }
    }
    packages.push({
      id: `deb:${name}@${version}`,
      type: 'deb',
      name,
      version,
      purl: `pkg:deb/debian/${name}@${version}?arch=${arch}`,
      locations: [{ path: '/var/lib/dpkg/status', layer: 0 }],
      files: list.split('\n').filter((l) => l.startsWith('/') && l !== '/.'),
      metadata: { kind: 'dpkg', source: name, sourceVersion: version, arch },
    });
  }
  return { packages, models: [], problems: [] };
}
