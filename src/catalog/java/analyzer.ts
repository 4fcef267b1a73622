// Java archives (.jar, .war, .ear, Jenkins plugins .jpi/.hpi): identity from META-INF/maven/**/pom.properties, else
// the manifest's Implementation-/Bundle- fields, else the file name; the archive's SHA-1; archives nested inside
// (Spring Boot BOOT-INF/lib, WEB-INF/lib, lib/ of an ear) down to MAX_DEPTH levels.
//
// Bounded memory: the archive streams once through SHA-1 into memory when it is at most 16 MB, else into a
// temporary file (a zip's directory is at its end, and jars written by Java's ZipOutputStream carry no sizes in
// their local headers), which is then read at random: the central directory, the few small entries that name the
// archive, and nested archives (stored ones in place, deflated ones inflated to memory up to 16 MB, else to another
// temporary file). Temporary files are removed when the entry is done.
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import { createInflateRaw, inflateRawSync } from 'node:zlib';
import type { Analyzer, RandomAccessFile } from '../../core/analyzer.ts';
import type { MavenMetadata } from '../../core/ecosystems.ts';
import type { Fact } from '../../core/fact.ts';
import type { Package, ProblemCode } from '../../core/package.ts';
import { baseName, newPackage, problemFact } from '../common.ts';
import { dataOffset, readAt, readCentralDirectory, readEntry, type ZipEntry, type ZipRegion } from './read-zip.ts';
import { javaIdentityFromFileName, parseManifest, parsePomProperties } from './parse-java.ts';

const NAME = 'java';
const ARCHIVE = /\.(?:jar|war|ear|jpi|hpi)$/i;
export const MAX_DEPTH = 4;
const MAX_SMALL = 1024 * 1024;

export const isJavaArchivePath = (p: string): boolean => ARCHIVE.test(p);

interface Found {
  packages: Package[];
  problems: { code: ProblemCode; message: string }[];
}

/** Archives up to this size are held in memory instead of a temporary file. */
const IN_MEMORY = 16 * 1024 * 1024;

/** Reads of a file read at random go this many bytes at a time (hashing, nested archives). */
const READ_CHUNK = 1024 * 1024;

async function* chunksOf(file: RandomAccessFile, start: number, length: number): AsyncGenerator<Buffer> {
  for (let pos = start, end = start + length; pos < end;) {
    const chunk = await file.read(pos, Math.min(READ_CHUNK, end - pos));
    if (chunk.length === 0) return;
    pos += chunk.length;
    yield chunk;
  }
}

/** The bytes [start, start + length) of a region, as a stream. */
function streamOf(r: ZipRegion, start: number, length: number): NodeJS.ReadableStream {
  if (r.buf) return Readable.from([r.buf.subarray(r.base + start, r.base + start + length)]);
  if (r.file) return Readable.from(chunksOf(r.file, r.base + start, length), { objectMode: false });
  return createReadStream('', {
    fd: r.fh!.fd,
    start: r.base + start,
    end: r.base + start + length - 1,
    autoClose: false,
  });
}

async function sha1Of(r: ZipRegion): Promise<string> {
  const h = createHash('sha1');
  if (r.buf) return h.update(r.buf.subarray(r.base, r.base + r.length)).digest('hex');
  for await (const c of streamOf(r, 0, r.length)) h.update(c as Buffer);
  return h.digest('hex');
}

/** Identities of one archive region (and, recursively, of the archives inside it). */
async function analyzeArchive(
  r: ZipRegion,
  archive: string,
  sha1: string,
  depth: number,
  tmp: () => string,
  out: Found,
): Promise<void> {
  let entries: ZipEntry[];
  try {
    entries = await readCentralDirectory(r, { classes: false });
  } catch (err) {
    out.problems.push({ code: 'malformed', message: `${archive}: ${(err as Error).message}` });
    return;
  }
  const poms = entries.filter((e) => /^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/.test(e.name));
  const ids: Omit<MavenMetadata, 'kind' | 'archive' | 'sha1'>[] = [];
  const versions: string[] = [];
  for (const e of poms) {
    try {
      const p = parsePomProperties((await readEntry(r, e, MAX_SMALL)).toString('utf8'));
      if (!p.artifactId || !p.version) {
        out.problems.push({ code: 'unidentified', message: `${archive}!/${e.name}: no artifactId or version` });
        continue;
      }
      ids.push({ groupId: p.groupId, artifactId: p.artifactId, identifiedBy: 'pom.properties' });
      versions.push(p.version);
    } catch (err) {
      out.problems.push({ code: 'malformed', message: `${archive}!/${e.name}: ${(err as Error).message}` });
    }
  }
  if (ids.length === 0) {
    const fromName = javaIdentityFromFileName(baseName(archive));
    const mf = entries.find((e) => e.name === 'META-INF/MANIFEST.MF');
    let fromManifest: ReturnType<typeof parseManifest> | undefined;
    if (mf) {
      try {
        fromManifest = parseManifest((await readEntry(r, mf, MAX_SMALL)).toString('utf8'));
      } catch (err) {
        out.problems.push({ code: 'malformed', message: `${archive}!/${mf.name}: ${(err as Error).message}` });
      }
    }
    if (fromManifest?.version && (fromManifest.name || fromName)) {
      const id: Omit<MavenMetadata, 'kind' | 'archive' | 'sha1'> = {
        artifactId: fromName?.artifactId ?? fromManifest.name!,
        identifiedBy: 'manifest',
      };
      if (fromManifest.groupId) id.groupId = fromManifest.groupId;
      ids.push(id);
      versions.push(fromManifest.version);
    } else if (fromName) {
      ids.push({ artifactId: fromName.artifactId, identifiedBy: 'filename' });
      versions.push(fromName.version);
    } else {
      out.problems.push({
        code: 'unidentified',
        message: `${archive}: no pom.properties, manifest version or versioned file name: not identified`,
      });
    }
  }
  ids.forEach((id, i) => {
    const meta: MavenMetadata = { kind: 'maven', ...id, sha1, archive };
    if (i > 0) meta.shaded = true;
    const name = id.groupId ? `${id.groupId}:${id.artifactId}` : id.artifactId;
    out.packages.push(newPackage('maven', name, versions[i], meta));
  });

  if (depth >= MAX_DEPTH) {
    if (entries.some((e) => ARCHIVE.test(e.name)))
      out.problems.push({
        code: 'too-large',
        message: `${archive}: archives nested deeper than ${MAX_DEPTH} levels not read`,
      });
    return;
  }
  for (const e of entries) {
    if (!ARCHIVE.test(e.name) || e.name.endsWith('/')) continue;
    const inner = `${archive}!/${e.name}`;
    try {
      const at = await dataOffset(r, e);
      if (e.method === 0) {
        const sub: ZipRegion = { ...r, base: r.base + at, length: e.compressedSize };
        await analyzeArchive(sub, inner, await sha1Of(sub), depth + 1, tmp, out);
      } else if (e.method === 8 && e.size <= IN_MEMORY) {
        const bytes = inflateRawSync(await readAt(r, at, e.compressedSize), { maxOutputLength: IN_MEMORY });
        const sha1 = createHash('sha1').update(bytes).digest('hex');
        await analyzeArchive({ buf: bytes, base: 0, length: bytes.length }, inner, sha1, depth + 1, tmp, out);
      } else if (e.method === 8) {
        const file = join(tmp(), `nested-${depth + 1}.zip`);
        const h = createHash('sha1');
        await pipeline(
          streamOf(r, at, e.compressedSize),
          createInflateRaw(),
          new Transform({
            transform(chunk: Buffer, _enc, cb) {
              h.update(chunk);
              cb(null, chunk);
            },
          }),
          createWriteStream(file),
        );
        const fh = await open(file, 'r');
        try {
          const st = await fh.stat();
          await analyzeArchive({ fh, base: 0, length: st.size }, inner, h.digest('hex'), depth + 1, tmp, out);
        } finally {
          await fh.close();
          rmSync(file, { force: true });
        }
      } else
        out.problems.push({ code: 'unsupported', message: `${inner}: compression method ${e.method} not supported` });
    } catch (err) {
      out.problems.push({ code: 'malformed', message: `${inner}: ${(err as Error).message}` });
    }
  }
}

function javaFacts(path: string, out: Found): Fact[] {
  const facts: Fact[] = out.problems.map((p) => problemFact(path, NAME, p.code, p.message));
  if (out.packages.length > 0) facts.push({ kind: 'packages', path, packages: out.packages });
  return facts;
}

export function createJavaAnalyzer(): Analyzer {
  return {
    name: NAME,
    version: 1,
    wants: (entry) => (entry.type === 'file' && entry.size > 0 && isJavaArchivePath(entry.path) ? 'stream' : null),
    sink(entry) {
      // small archives stay in memory; larger ones stream to a temporary file
      const hash = createHash('sha1');
      const small = entry.size <= IN_MEMORY;
      const mem = small ? Buffer.allocUnsafe(entry.size) : undefined;
      let filled = 0;
      let dir: string | undefined;
      const tmp = (): string => (dir ??= mkdtempSync(join(tmpdir(), 'zerocve-jar-')));
      const file = small ? undefined : join(tmp(), 'archive.zip');
      const fd = file ? openSync(file, 'w') : undefined;
      let closed = false;
      const close = (): void => {
        if (fd !== undefined && !closed) closeSync(fd);
        closed = true;
      };
      return {
        write(chunk) {
          hash.update(chunk);
          if (mem) {
            filled += chunk.copy(mem, filled);
            return;
          }
          let o = 0;
          while (o < chunk.length) o += writeSync(fd!, chunk, o);
        },
        async end(): Promise<Fact[]> {
          close();
          const out: Found = { packages: [], problems: [] };
          let fh: FileHandle | undefined;
          try {
            if (mem) {
              const region = { buf: mem, base: 0, length: filled };
              await analyzeArchive(region, entry.path, hash.digest('hex'), 0, tmp, out);
            } else {
              fh = await open(file!, 'r');
              const st = await fh.stat();
              await analyzeArchive({ fh, base: 0, length: st.size }, entry.path, hash.digest('hex'), 0, tmp, out);
            }
          } finally {
            await fh?.close();
            if (dir) rmSync(dir, { recursive: true, force: true });
          }
          return javaFacts(entry.path, out);
        },
      };
    },
    // an unpacked root: the archive is hashed as it is read and its directory read in place, never copied
    async readAt(entry, file) {
      const hash = createHash('sha1');
      for await (const c of chunksOf(file, 0, file.size)) hash.update(c);
      const out: Found = { packages: [], problems: [] };
      let dir: string | undefined;
      try {
        const tmp = (): string => (dir ??= mkdtempSync(join(tmpdir(), 'zerocve-jar-')));
        await analyzeArchive({ file, base: 0, length: file.size }, entry.path, hash.digest('hex'), 0, tmp, out);
      } finally {
        if (dir) rmSync(dir, { recursive: true, force: true });
      }
      return javaFacts(entry.path, out);
    },
  };
}
