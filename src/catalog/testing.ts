// Test helper: runs analyzers over real files the way the layer walker does (wants → analyze, or wants → sink
// fed in chunks), without a tar. Used by the catalog's tests on corpus fixtures and on real root file systems.
import { createReadStream, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Analyzer } from '../core/analyzer.ts';
import type { EntryHeader, EntryType } from '../core/entry.ts';
import type { Fact } from '../core/fact.ts';

export type LayerFact = Fact & { layer: number };

/** One file to analyze: where it sits in the image, and where its bytes are on this machine. */
export interface FileSource {
  path: string;
  source: string;
}

function header(path: string, source: string): EntryHeader {
  const st = lstatSync(source);
  const type: EntryType = st.isFile()
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
  const entry: EntryHeader = {
    path,
    type,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    size: type === 'file' ? st.size : 0,
    mtime: Math.floor(st.mtimeMs / 1000),
  };
  if (type === 'symlink') entry.linkTarget = readlinkSync(source);
  return entry;
}

/** Runs every analyzer on each file, as the walker would; facts are tagged with `layer`. */
export async function analyzeFiles(analyzers: Analyzer[], files: FileSource[], layer = 0): Promise<LayerFact[]> {
  const out: LayerFact[] = [];
  for (const f of files) {
    const entry = header(f.path, f.source);
    for (const a of analyzers) {
      const want = a.wants(entry);
      if (want === null) continue;
      let facts: Fact[];
      if (want === 'header') facts = await a.analyze!(entry, null);
      else if (want === 'stream') {
        const sink = a.sink!(entry);
        for await (const chunk of createReadStream(f.source, { highWaterMark: 256 * 1024 }))
          sink.write(chunk as Buffer);
        facts = await sink.end();
      } else if (entry.size > want.maxBytes) {
        facts = [
          {
            kind: 'problem',
            path: entry.path,
            analyzer: a.name,
            message: `${entry.path}: ${entry.size} bytes exceeds the ${want.maxBytes}-byte limit`,
          },
        ];
      } else facts = await a.analyze!(entry, entry.type === 'file' ? readFileSync(f.source) : Buffer.alloc(0));
      for (const fact of facts) out.push({ ...fact, layer });
    }
  }
  return out;
}

/** Every entry under `root` (not following symlinks), as image paths below `prefix` (default `/`). */
export function listTree(root: string, prefix = '/'): FileSource[] {
  const out: FileSource[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const source = join(dir, name);
      const path = `${rel === '/' ? '' : rel}/${name}`;
      out.push({ path, source });
      if (lstatSync(source).isDirectory()) walk(source, path);
    }
  };
  walk(root, prefix.replace(/\/+$/, '') || '/');
  return out;
}

/** Runs analyzers over a whole directory tree mapped to the image root (or to `prefix`). */
export function analyzeTree(
  analyzers: Analyzer[],
  root: string,
  options?: { prefix?: string; layer?: number },
): Promise<LayerFact[]> {
  return analyzeFiles(analyzers, listTree(root, options?.prefix), options?.layer ?? 0);
}

/**
 * A real Debian 12 minbase root with python3 and python3-numpy, built once with mmdebstrap under
 * `.cache/fixtures/debian-bookworm-numpy` (a lock directory keeps concurrent test runs from building twice).
 * Returns undefined, with the reason, when it cannot be built here (no mmdebstrap, no mirror).
 */
export async function debianNumpyRoot(): Promise<{ root?: string; reason?: string }> {
  const { existsSync, mkdirSync, rmdirSync, renameSync, rmSync } = await import('node:fs');
  const { execFileSync } = await import('node:child_process');
  const base = join(import.meta.dirname, '..', '..', '.cache', 'fixtures');
  const root = join(base, 'debian-bookworm-numpy');
  const lock = `${root}.lock`;
  const deadline = Date.now() + 10 * 60 * 1000;
  mkdirSync(base, { recursive: true });
  while (!existsSync(join(root, 'var', 'lib', 'dpkg', 'status'))) {
    try {
      mkdirSync(lock);
    } catch {
      if (Date.now() > deadline) return { reason: `timed out waiting for ${lock}` };
      await new Promise((r) => setTimeout(r, 2000));
      continue;
    }
    const tmp = `${root}.tmp`;
    try {
      rmSync(tmp, { recursive: true, force: true });
      execFileSync(
        'mmdebstrap',
        [
          '--variant=minbase',
          '--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr',
          '--include=python3,python3-numpy',
          'bookworm',
          tmp,
          'deb http://deb.debian.org/debian bookworm main',
        ],
        { stdio: 'ignore', timeout: 10 * 60 * 1000 },
      );
      renameSync(tmp, root);
    } catch (err) {
      return { reason: `cannot build the Debian fixture with mmdebstrap: ${(err as Error).message.split('\n')[0]}` };
    } finally {
      rmdirSync(lock);
    }
  }
  return { root };
}
