// `dir:PATH` — a root file system already unpacked on disk. No layers, no tar: the walker reads the tree directly.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Image } from '../../core/image.ts';
import { InputError, reasonOf } from '../../core/errors.ts';

export interface OpenRootDirOptions {
  /** the target as typed, for messages and Image.source */
  target: string;
  signal?: AbortSignal;
}

export async function openRootDir(path: string, options: OpenRootDirOptions): Promise<Image> {
  options.signal?.throwIfAborted();
  const rootDir = resolve(path);
  let isDir: boolean;
  try {
    isDir = (await stat(rootDir)).isDirectory();
  } catch (err) {
    throw new InputError(`${options.target}: cannot read root directory (${reasonOf(err)})`, { cause: err });
  }
  if (!isDir) throw new InputError(`${options.target}: not a directory`);
  return {
    source: { target: options.target, kind: 'dir' },
    config: { diffIds: [] },
    layers: [],
    rootDir,
  };
}
