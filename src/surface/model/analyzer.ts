// The model-file safety analyzer: pickles (plain, legacy torch.save, and the zip container torch.save writes) are
// disassembled without being executed and their imports checked against an allow-list → `pickle` fact;
// safetensors headers are validated → `problem` facts when wrong. Everything streams: only pickle opcodes' small
// arguments, zip local headers and a safetensors header are held.
import type { Analyzer, Sink } from '../../core/analyzer.ts';
import type { EntryHeader } from '../../core/entry.ts';
import type { Fact } from '../../core/fact.ts';
import { readerProblemCode } from '../../core/package.ts';
import { createPushParser } from './pull-parser.ts';
import type { PushParser } from './pull-parser.ts';
import { pickleParser } from './parse-pickle.ts';
import type { PickleScan } from './parse-pickle.ts';
import { zipWalker } from './parse-zip.ts';
import type { MemberConsumer, ZipMember } from './parse-zip.ts';
import { assessImports } from './classify-imports.ts';
import { checkSafetensorsHeader, MAX_SAFETENSORS_HEADER } from './check-safetensors.ts';

export const MODEL_SAFETY_ANALYZER_NAME = 'model-safety';

const PICKLE_EXTS = new Set(['.pt', '.pth', '.pkl', '.pickle', '.ckpt', '.joblib', '.bin', '.pck', '.mar']);
const MODEL_DIR = /\/(?:models?|checkpoints?|weights|huggingface|hub|transformers|snapshots|ckpt)\//i;
/** first bytes of protocol 0/1 pickles: the opcodes a pickler starts with */
const PROTO0_START = new Set([
  0x28, 0x63, 0x7d, 0x5d, 0x29, 0x4e, 0x49, 0x4c, 0x46, 0x53, 0x56, 0x58, 0x55, 0x4a, 0x4b, 0x4d, 0x69, 0x88, 0x89,
]);

const SITE_PTH = /\/(?:site|dist)-packages\/[^/]+\.pth$/;

const extOf = (path: string): string => {
  const base = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot);
};

export function createModelSafetyAnalyzer(): Analyzer {
  return {
    name: MODEL_SAFETY_ANALYZER_NAME,
    version: 2,
    wants(entry: EntryHeader) {
      if (entry.type !== 'file' || entry.size < 2) return null;
      const ext = extOf(entry.path);
      // `.pth` directly in site-packages is a path-configuration file read by Python's `site`, not a model
      if (ext === '.pth' && SITE_PTH.test(entry.path)) return null;
      if (ext === '.safetensors' || PICKLE_EXTS.has(ext)) return 'stream';
      if (
        MODEL_DIR.test(entry.path) &&
        !/\.(?:json|txt|md|py|yaml|yml|onnx|gguf|h5|pb|msgpack|model|tflite)$/i.test(entry.path)
      )
        return 'stream';
      return null;
    },
    sink(entry: EntryHeader): Sink {
      return createModelSafetySink(entry.path, entry.size);
    },
  };
}

type Mode = 'undecided' | 'pickle' | 'zip' | 'safetensors' | 'ignore';

const pickleSniff = (b: Buffer, ext: string): boolean => {
  if (b[0] === 0x80) return b.length < 2 || b[1] <= 5;
  // protocols 0 and 1 have no marker: trust the extension of files that are pickles by name
  return ['.pkl', '.pickle', '.pck', '.pt', '.pth', '.ckpt'].includes(ext) && PROTO0_START.has(b[0]);
};

/** A sink for one file: sniffs the first bytes, then disassembles pickles / walks the zip / checks safetensors. */
export function createModelSafetySink(path: string, fileSize: number): Sink {
  const ext = extOf(path);
  const scan: PickleScan = { imports: [], problems: [], pickles: 0, protocol: 0 };
  const problems: string[] = [];
  const st: { mode: Mode } = { mode: 'undecided' };
  let head = Buffer.alloc(0);
  let parser: PushParser | undefined;
  let seen = 0;
  // safetensors state
  let stHeaderLength = -1;
  const stHeader: Buffer[] = [];
  let stGot = 0;

  const memberConsumer = (member: ZipMember, peek: Buffer): MemberConsumer | null => {
    const dataDir = /(?:^|\/)data\/[^/]*$/.test(member.name);
    const byName = /\.(?:pkl|pickle)$/i.test(member.name);
    const sniffed = !dataDir && peek.length >= 2 && peek[0] === 0x80 && peek[1] >= 2 && peek[1] <= 5;
    if (!byName && !sniffed) return null;
    return createPushParser(pickleParser(scan, member.name));
  };

  const decide = (): void => {
    if (head.length >= 4 && head.readUInt32LE(0) === 0x04034b50) {
      st.mode = 'zip';
      parser = createPushParser(zipWalker({ onMember: memberConsumer, problem: (m) => problems.push(m) }));
    } else if (ext === '.safetensors') {
      st.mode = 'safetensors';
    } else if (pickleSniff(head, ext)) {
      st.mode = 'pickle';
      parser = createPushParser(pickleParser(scan));
    } else if (head.length >= 9 && head[8] === 0x7b && head.readBigUInt64LE(0) < BigInt(fileSize)) {
      st.mode = 'safetensors'; // safetensors under another name (`model.bin` in a snapshot dir)
    } else {
      st.mode = 'ignore';
    }
  };

  const feedSafetensors = (chunk: Buffer): void => {
    if (stHeaderLength < 0 || stGot >= stHeaderLength) return;
    const n = Math.min(stHeaderLength - stGot, chunk.length);
    stHeader.push(chunk.subarray(0, n));
    stGot += n;
  };

  const startSafetensors = (first: Buffer): void => {
    if (first.length < 8) {
      problems.push(`safetensors file of ${first.length} bytes has no header length`);
      st.mode = 'ignore';
      return;
    }
    const n = first.readBigUInt64LE(0);
    if (n > BigInt(Math.max(0, fileSize - 8))) {
      problems.push(`safetensors header length ${n} exceeds the file size ${fileSize}`);
      st.mode = 'ignore';
      return;
    }
    if (n > BigInt(MAX_SAFETENSORS_HEADER)) {
      problems.push(`safetensors header length ${n} exceeds ${MAX_SAFETENSORS_HEADER} bytes`);
      st.mode = 'ignore';
      return;
    }
    stHeaderLength = Number(n);
    feedSafetensors(first.subarray(8));
  };

  const route = (chunk: Buffer): void => {
    if (st.mode === 'pickle' || st.mode === 'zip') parser!.write(chunk);
    else if (st.mode === 'safetensors') feedSafetensors(chunk);
  };

  /** decide from the bytes gathered so far and hand them on */
  const start = (): void => {
    decide();
    const all = head;
    head = Buffer.alloc(0);
    if (modeOf() === 'safetensors') startSafetensors(all);
    else route(all);
  };
  const modeOf = (): Mode => st.mode;

  return {
    write(chunk: Buffer) {
      seen += chunk.length;
      if (st.mode === 'ignore') return;
      if (st.mode !== 'undecided') {
        route(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      if (head.length < 9 && seen < fileSize) return;
      start();
    },
    end(): Fact[] {
      if (st.mode === 'undecided') start();
      const facts: Fact[] = [];
      const problem = (message: string): void => {
        facts.push({
          kind: 'problem',
          code: readerProblemCode(message),
          path,
          analyzer: MODEL_SAFETY_ANALYZER_NAME,
          message: `${path}: ${message}`,
        });
      };
      if (st.mode === 'pickle' || st.mode === 'zip') {
        parser!.end();
        if (scan.pickles > 0 || scan.imports.length > 0) {
          const { unsafe, severity } = assessImports(scan.imports);
          facts.push(
            severity === 'safe'
              ? { kind: 'pickle', path, imports: scan.imports, unsafe }
              : { kind: 'pickle', path, imports: scan.imports, unsafe, severity },
          );
        } else if (st.mode === 'zip' && problems.length === 0 && scan.problems.length === 0) {
          // a zip without pickles (e.g. a .keras or plain archive) has nothing to report
        }
      }
      if (st.mode === 'safetensors' && stHeaderLength >= 0) {
        if (stGot < stHeaderLength) problems.push(`safetensors header truncated: ${stGot} of ${stHeaderLength} bytes`);
        else
          for (const p of checkSafetensorsHeader(stHeaderLength, Buffer.concat(stHeader, stGot), seen))
            problems.push(p);
      }
      for (const p of [...problems, ...scan.problems]) problem(p);
      return facts;
    },
  };
}
