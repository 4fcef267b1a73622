// Random access into an image tarball: one pass over the member headers with positional reads (bodies are skipped
// by moving the offset, never read), giving each member's data offset and size. Blobs then open as file-range
// streams. Symlinked members (legacy `docker save` links duplicate layers) are resolved inside the archive.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { InputError, reasonOf } from '../../core/errors.ts';
import { CHUNK, createFileByteReader, readTarFrom } from '../../walk/index.ts';

export interface ArchiveMember {
  /** normalized name without leading `/` or `./`: `blobs/sha256/ab…`, `manifest.json` */
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  dataOffset: number;
  size: number;
  linkTarget?: string;
}

export interface TarIndex {
  path: string;
  target: string;
  /** the regular file a name leads to (following symlinks and hardlinks inside the archive), or undefined */
  file(name: string): ArchiveMember | undefined;
  names(): string[];
  /** the member's bytes as a stream of at most 256 KiB chunks */
  openMember(member: ArchiveMember, signal?: AbortSignal): Readable;
  /** a small member read whole (JSON documents); refuses members above `maxBytes` */
  readMember(member: ArchiveMember, maxBytes: number, what: string): Promise<Buffer>;
}

const strip = (p: string): string => p.replace(/^\/+/, '');

export async function indexTar(path: string, target: string, signal?: AbortSignal): Promise<TarIndex> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw new InputError(`${target}: cannot open archive (${reasonOf(err)})`, { cause: err });
  }
  const members = new Map<string, ArchiveMember>();
  let size: number;
  try {
    size = (await fh.stat()).size;
    if (size === 0) throw new InputError(`${target}: archive is empty`);
    for await (const e of readTarFrom(createFileByteReader(fh, size), { drainTrailer: false })) {
      signal?.throwIfAborted();
      const h = e.header;
      const name = strip(h.path);
      const type =
        h.type === 'file' || h.type === 'dir' || h.type === 'symlink' || h.type === 'hardlink' ? h.type : 'other';
      const m: ArchiveMember = { name, type, dataOffset: e.dataOffset, size: e.dataSize };
      if (h.linkTarget !== undefined) m.linkTarget = h.type === 'hardlink' ? strip(h.linkTarget) : h.linkTarget;
      members.set(name, m);
    }
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new InputError(`${target}: not a readable image archive (${reasonOf(err)})`, { cause: err });
  } finally {
    await fh.close();
  }

  const file = (name: string): ArchiveMember | undefined => {
    let n = strip(name).replace(/^\.\//, '');
    for (let hops = 0; hops < 40; hops++) {
      const m = members.get(n);
      if (!m) return undefined;
      if (m.type === 'file') return m;
      if (m.type === 'hardlink') {
        n = m.linkTarget ?? '';
        continue;
      }
      if (m.type !== 'symlink') return undefined;
      const t = m.linkTarget ?? '';
      const dir = n.includes('/') ? n.slice(0, n.lastIndexOf('/')) : '';
      const parts: string[] = [];
      for (const p of (t.startsWith('/') ? t : `${dir}/${t}`).split('/')) {
        if (p === '' || p === '.') continue;
        if (p === '..') parts.pop();
        else parts.push(p);
      }
      n = parts.join('/');
    }
    return undefined;
  };

  return {
    path,
    target,
    file,
    names: () => [...members.keys()],
    openMember(member, signal) {
      if (member.size === 0) return Readable.from([]);
      return createReadStream(path, {
        start: member.dataOffset,
        end: member.dataOffset + member.size - 1,
        highWaterMark: CHUNK,
        signal,
      });
    },
    async readMember(member, maxBytes, what) {
      if (member.size > maxBytes)
        throw new InputError(
          `${what}: ${member.size} bytes, larger than the ${maxBytes}-byte limit for JSON documents`,
        );
      const h = await open(path, 'r');
      try {
        const buf = Buffer.alloc(member.size);
        const { bytesRead } = await h.read(buf, 0, member.size, member.dataOffset);
        if (bytesRead !== member.size) throw new InputError(`${what}: archive member truncated`);
        return buf;
      } finally {
        await h.close();
      }
    },
  };
}
