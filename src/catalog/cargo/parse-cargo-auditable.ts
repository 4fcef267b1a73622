// Rust binaries built with `cargo auditable`: the `.dep-v0` section holds zlib-compressed JSON
// `{"packages":[{"name","version","source","kind","dependencies":[indices],"root"}…]}`.
//
// Sections are described at the end of an ELF file, after their contents have streamed by, so the section is found
// by its content instead: every zlib header (0x78 0x9c or 0x78 0xda, the levels cargo auditable and flate2 write)
// in an ELF file is tried by inflating its first bytes; the one that begins `{"packages":` is kept (bounded) and
// inflated whole at the end. No such stream: nothing is said.
//
// Read at random (an unpacked root), the section headers name `.dep-v0` and only that section is read; a file
// without section headers, or whose `.dep-v0` does not hold such a stream, streams whole through the sink instead.
import { constants, inflateSync } from 'node:zlib';
import type { RandomAccessFile } from '../../core/analyzer.ts';
import { readElfLayout, streamFile, SHT_NOBITS } from '../../elf/index.ts';

export interface AuditableCrate {
  name: string;
  version: string;
  source?: string;
  kind?: 'build' | 'runtime';
  root?: boolean;
}

const HEADERS = [Buffer.from([0x78, 0xda]), Buffer.from([0x78, 0x9c])];
const PREFIX = Buffer.from('{"packages":', 'latin1');
const PROBE = 96;
const CAPTURE_CAP = 16 << 20;
const MAX_JSON = 64 << 20;

function probe(bytes: Buffer): boolean {
  try {
    const out = inflateSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: 1 << 20 });
    return out.length >= PREFIX.length && out.subarray(0, PREFIX.length).equals(PREFIX);
  } catch {
    return false;
  }
}

/** The crates of a `.dep-v0` JSON document; throws with a one-line reason when it is not one. */
export function parseAuditableJson(text: string): AuditableCrate[] {
  const j = JSON.parse(text) as { packages?: unknown };
  if (!Array.isArray(j.packages)) throw new Error('no "packages" array');
  const out: AuditableCrate[] = [];
  for (const p of j.packages as Record<string, unknown>[]) {
    if (typeof p?.name !== 'string' || typeof p.version !== 'string')
      throw new Error('a package without name or version');
    const c: AuditableCrate = { name: p.name, version: p.version };
    if (typeof p.source === 'string') c.source = p.source;
    if (p.kind === 'build' || p.kind === 'runtime') c.kind = p.kind;
    if (p.root === true) c.root = true;
    out.push(c);
  }
  return out;
}

export function createCargoAuditableSink(): { write(chunk: Buffer): void; end(): AuditableResult } {
  let offset = 0;
  let state: 'start' | 'scan' | 'capture' | 'done' | 'not-elf' = 'start';
  let carry = Buffer.alloc(0);
  let parts: Buffer[] = [];
  let captured = 0;
  const problems: string[] = [];

  const scan = (win: Buffer, from: number): void => {
    const hits: number[] = [];
    for (const h of HEADERS) {
      let i = win.indexOf(h, from);
      while (i >= 0) {
        hits.push(i);
        i = win.indexOf(h, i + 1);
      }
    }
    hits.sort((a, b) => a - b);
    for (const i of hits) {
      if (i + PROBE > win.length) {
        // too close to the end of the window: the next window (with the carry) sees it again
        continue;
      }
      if (probe(win.subarray(i, i + PROBE))) {
        state = 'capture';
        const rest = win.subarray(i, Math.min(win.length, i + CAPTURE_CAP));
        parts = [Buffer.from(rest)];
        captured = rest.length;
        return;
      }
    }
  };

  return {
    write(chunk) {
      if (state === 'done' || state === 'not-elf') return;
      const chunkStart = offset;
      offset += chunk.length;
      if (state === 'start') {
        if (chunk.length >= 4 && chunk.readUInt32BE(0) !== 0x7f454c46) {
          state = 'not-elf';
          return;
        }
        state = 'scan';
      }
      if (state === 'capture') {
        const take = chunk.subarray(0, Math.min(chunk.length, CAPTURE_CAP - captured));
        parts.push(Buffer.from(take));
        captured += take.length;
        if (captured >= CAPTURE_CAP) state = 'done';
        return;
      }
      const win = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      // hits starting in the carry were tried already unless they were too close to its end
      scan(win, Math.max(0, carry.length - PROBE));
      if (state === 'scan') carry = Buffer.from(win.subarray(Math.max(0, win.length - PROBE)));
      void chunkStart;
    },
    end() {
      if (state !== 'capture' && state !== 'done') return { problems };
      return inflateAuditable(Buffer.concat(parts), problems);
    },
  };
}

export interface AuditableResult {
  crates?: AuditableCrate[];
  problems: string[];
}

function inflateAuditable(stream: Buffer, problems: string[]): AuditableResult {
  try {
    const json = inflateSync(stream, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: MAX_JSON });
    return { crates: parseAuditableJson(json.toString('utf8')), problems };
  } catch (err) {
    problems.push(`cargo auditable data (.dep-v0): ${(err as Error).message}`);
    return { problems };
  }
}

/** The crates of a file read at random: see the header. */
export async function readCargoAuditable(file: RandomAccessFile): Promise<AuditableResult> {
  const layout = await readElfLayout(file);
  if (layout === 'not-elf') return { problems: [] };
  if (layout !== 'unusable' && layout.sections) {
    const sec = layout.sections.find((s) => s.name === '.dep-v0' && s.type !== SHT_NOBITS);
    if (!sec) return { problems: [] };
    const bytes = await file.read(sec.offset, Math.min(sec.size, CAPTURE_CAP));
    const at = HEADERS.some((h) => bytes.subarray(0, 2).equals(h)) && bytes.length >= PROBE ? 0 : -1;
    if (at === 0 && probe(bytes.subarray(0, PROBE))) return inflateAuditable(bytes, []);
  }
  const sink = createCargoAuditableSink();
  await streamFile(file, (c) => sink.write(c));
  return sink.end();
}
