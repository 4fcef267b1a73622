// Layer merge: applies each layer's whiteouts, opaque directories and replacements to the view of the layers
// below it, in layer order, as overlayfs does. The view knows each path's final entry and the layer that put it
// there; files that a later layer replaced or deleted are kept as `shadowed` (bytes shipped but unreachable).
import type { MergedEntry } from '../core/entry.ts';
import type { LayerRecord, MergedView, ShadowedFile } from './types.ts';
import { parentOf } from './paths.ts';
import { resolveInTree } from '../core/resolve-path.ts';

export interface Merger {
  /** merge the next layer; layers must come in index order */
  add(record: LayerRecord): void;
  readonly view: MergedView;
}

export function createMerger(): Merger {
  const map = new Map<string, MergedEntry>();
  const shadowed: ShadowedFile[] = [];

  const drop = (e: MergedEntry): void => {
    if (e.type === 'file') shadowed.push({ path: e.path, layer: e.layer, size: e.size });
  };

  function add(record: LayerRecord): void {
    const deleted = new Set(record.whiteouts);
    const emptied = new Set(record.opaque);
    // an upper non-directory over a lower directory hides everything below it
    for (const e of record.entries) {
      if (e.type !== 'dir' && map.get(e.path)?.type === 'dir') emptied.add(e.path);
    }
    if (deleted.size || emptied.size) {
      for (const [path, e] of map) {
        if (hidden(path, deleted, emptied)) {
          map.delete(path);
          drop(e);
        }
      }
    }
    for (const e of record.entries) {
      const prev = map.get(e.path);
      if (prev) drop(prev);
      map.set(e.path, e);
    }
  }

  const view: MergedView = {
    get: (path) => map.get(path),
    entries: () => map.values(),
    get size() {
      return map.size;
    },
    shadowed,
    resolve: (path) => resolveIn(map, path),
  };
  return { add, view };
}

/** true when `path` is whited out itself, or lies below a whited-out, opaque or replaced directory */
function hidden(path: string, deleted: Set<string>, emptied: Set<string>): boolean {
  if (deleted.has(path)) return true;
  let p = path;
  while (p !== '/') {
    p = parentOf(p);
    if (deleted.has(p) || emptied.has(p)) return true;
  }
  return false;
}

function resolveIn(map: Map<string, MergedEntry>, path: string): MergedEntry | undefined {
  const real = resolveInTree(path, (p) => map.get(p), { implicitDirs: true, followHardlinks: false }).real;
  return real === undefined ? undefined : map.get(real);
}
