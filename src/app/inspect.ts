// `zerocve inspect`: what an image is made of — reference, digest, platform, config, layers, file totals.
import type { InspectResult } from '../core/results.ts';
export type { InspectResult };
import { isExecutable, isSetgid, isSetuid } from '../core/entry.ts';
import { openImage, formatPlatform, type OpenImageOptions } from '../image/index.ts';
import { walkImage, type WalkProgress } from '../walk/index.ts';
import { imageSummaryOf } from './analyze.ts';

export async function inspectTarget(
  target: string,
  options: {
    open?: OpenImageOptions;
    cacheDir: string | null;
    cacheMaxBytes?: number;
    signal?: AbortSignal;
    onProgress?: (e: WalkProgress) => void;
  },
): Promise<InspectResult> {
  const image = await openImage(target, { ...options.open, signal: options.signal });
  const walk = await walkImage(image, {
    analyzers: [],
    cacheDir: image.rootDir ? null : options.cacheDir,
    cacheMaxBytes: options.cacheMaxBytes,
    signal: options.signal,
    onProgress: options.onProgress,
  });
  const t = {
    files: 0,
    directories: 0,
    symlinks: 0,
    hardlinks: 0,
    executables: 0,
    setuid: 0,
    setgid: 0,
    bytes: 0,
    compressedBytes: 0,
  };
  for (const e of walk.merged.entries()) {
    if (e.type === 'file') {
      t.files++;
      t.bytes += e.size;
    } else if (e.type === 'dir') t.directories++;
    else if (e.type === 'symlink') t.symlinks++;
    else if (e.type === 'hardlink') t.hardlinks++;
    if (isExecutable(e)) t.executables++;
    if (isSetuid(e)) t.setuid++;
    if (isSetgid(e)) t.setgid++;
  }
  t.compressedBytes = walk.layers.reduce((n, l) => n + Math.max(0, l.compressedSize), 0);
  return {
    image: imageSummaryOf(image, walk),
    platform: image.config.platform ? formatPlatform(image.config.platform) : undefined,
    totals: t,
    shadowed: { files: walk.merged.shadowed.length, bytes: walk.merged.shadowed.reduce((n, s) => n + s.size, 0) },
    problems: walk.facts
      .filter((f) => f.kind === 'problem')
      .map((f) => ({ path: f.path, message: (f as { message: string }).message, layer: f.layer })),
  };
}
