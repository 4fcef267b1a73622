// Model files: size, sha256 and format, computed as the bytes stream by (never buffered). Under a model-looking
// directory every file with a model extension counts; elsewhere only files whose first bytes say they are a model
// (a `.pt` can be vim's Portuguese tutor, a `.pth` in site-packages is Python path configuration).
import { createHash } from 'node:crypto';
import type { Analyzer, Sink } from '../../core/analyzer.ts';
import type { Fact } from '../../core/fact.ts';
import { baseName } from '../common.ts';
import { MAGIC_BYTES, MODEL_EXTENSIONS, identifyModel } from './identify-model.ts';

const NAME = 'model';
const MODEL_DIR = /\/(?:models?|checkpoints?|weights|huggingface|hub|transformers|snapshots|llm|ckpt)\//i;

const extOf = (path: string): string => {
  const f = baseName(path).toLowerCase();
  const dot = f.lastIndexOf('.');
  return dot <= 0 ? '' : f.slice(dot);
};

export function createModelAnalyzer(): Analyzer {
  const exts = new Set<string>(MODEL_EXTENSIONS);
  return {
    name: NAME,
    version: 2,
    wants: (entry) => (entry.type === 'file' && exts.has(extOf(entry.path)) ? 'stream' : null),
    sink(entry): Sink {
      const ext = extOf(entry.path);
      const hash = createHash('sha256');
      const head: Buffer[] = [];
      let headLen = 0;
      let size = 0;
      // undecided until the first bytes arrive (outside model directories)
      const st: { keep: boolean | undefined } = { keep: MODEL_DIR.test(entry.path) ? true : undefined };
      const headBytes = (): Buffer => Buffer.concat(head, headLen).subarray(0, MAGIC_BYTES);
      /** decides, once enough bytes are in, whether this file is a model; true = keep hashing */
      const decide = (): boolean => {
        if (st.keep === undefined) {
          const f = identifyModel(headBytes(), entry.size, ext);
          st.keep = ext === '.bin' ? f === 'pickle' || f === 'pytorch-zip' : f !== 'unknown';
        }
        return st.keep;
      };
      return {
        write(chunk: Buffer) {
          if (st.keep === false) return;
          if (headLen < MAGIC_BYTES) {
            head.push(chunk.subarray(0, MAGIC_BYTES - headLen));
            headLen += Math.min(chunk.length, MAGIC_BYTES - headLen);
            if (headLen >= MAGIC_BYTES && !decide()) return;
          }
          hash.update(chunk);
          size += chunk.length;
        },
        end(): Fact[] {
          if (!decide()) return [];
          const format = identifyModel(headBytes(), size, ext);
          return [
            { kind: 'model', path: entry.path, model: { path: entry.path, format, size, sha256: hash.digest('hex') } },
          ];
        },
      };
    },
  };
}
