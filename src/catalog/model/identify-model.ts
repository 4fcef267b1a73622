// Model file formats by their first bytes (and, where a format has no magic, by extension).
import type { ModelFormat } from '../../core/package.ts';

export const MODEL_EXTENSIONS = [
  '.safetensors',
  '.pt',
  '.pth',
  '.bin',
  '.onnx',
  '.gguf',
  '.h5',
  '.keras',
  '.pb',
  '.ckpt',
  '.pkl',
] as const;

/** Bytes of a file's start needed to identify it. */
export const MAGIC_BYTES = 16;

const HDF5 = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Format from the first bytes, the file size and the extension: zip (`PK\3\4`) → pytorch-zip (keras for .keras);
 * pickle protocol 2–5 (`\x80` + 2..5) → pickle; `GGUF` → gguf; HDF5 signature → keras-h5; safetensors (u64 LE
 * header length, then `{`) → safetensors; ONNX and TensorFlow GraphDef are protobuf with no magic: by extension.
 * `unknown` when nothing matches.
 */
export function identifyModel(head: Buffer, size: number, ext: string): ModelFormat {
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) {
    return ext === '.keras' ? 'keras' : 'pytorch-zip';
  }
  if (head.length >= 2 && head[0] === 0x80 && head[1] >= 2 && head[1] <= 5) return 'pickle';
  if (head.subarray(0, 4).toString('latin1') === 'GGUF') return 'gguf';
  if (head.length >= 8 && head.subarray(0, 8).equals(HDF5)) return 'keras-h5';
  if (head.length >= 9) {
    const n = head.readBigUInt64LE(0);
    if (n >= 2n && n <= BigInt(Math.max(0, size - 8)) && head[8] === 0x7b) return 'safetensors';
  }
  if (ext === '.onnx' && head.length > 0 && head[0] === 0x08) return 'onnx';
  if (ext === '.pb' && size > 0) return 'tensorflow-pb';
  return 'unknown';
}
