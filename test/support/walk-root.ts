// Test support: analyzers driven through the real walk and dispatch, exactly as `zerocve … dir:ROOT` drives them
// (src/image opens the root, src/walk lists it and feeds every analyzer), never a copy of that loop. Files from the
// shared corpus are first staged into a temporary root at the image paths a test gives them.
import { cpSync, lstatSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Analyzer } from '../../src/core/analyzer.ts';
import type { MergedEntry } from '../../src/core/entry.ts';
import type { Fact } from '../../src/core/fact.ts';
import type { Inventory } from '../../src/core/package.ts';
import { openImage } from '../../src/image/index.ts';
import { walkImage } from '../../src/walk/index.ts';
import { buildInventoryAndOwners, createCatalogers, type FileOwners } from '../../src/catalog/index.ts';

export type LayerFact = Fact & { layer: number };

/** One file to analyze: where it sits in the image, and where its bytes are on this machine. */
export interface FileSource {
  path: string;
  source: string;
}

/** Walks ROOT as the scan of `dir:ROOT` does: its merged entries, and the facts `analyzers` made of them. */
export async function walkRoot(
  root: string,
  analyzers: Analyzer[],
  options: { layer?: number } = {},
): Promise<{ entries: MergedEntry[]; facts: LayerFact[] }> {
  const image = await openImage(`dir:${root}`);
  const walk = await walkImage(image, { analyzers, cacheDir: null });
  const layer = options.layer ?? 0;
  return {
    entries: [...walk.merged.entries()].map((e) => ({ ...e, layer })),
    facts: walk.facts.map((f) => ({ ...f, layer })),
  };
}

/** Stages `files` into a temporary root (symlinks kept as symlinks) and walks it; facts are tagged with `layer`. */
export async function analyzeFiles(analyzers: Analyzer[], files: FileSource[], layer = 0): Promise<LayerFact[]> {
  const root = mkdtempSync(join(tmpdir(), 'zerocve-stage-'));
  try {
    for (const f of files) {
      const to = join(root, f.path);
      mkdirSync(dirname(to), { recursive: true });
      if (lstatSync(f.source).isDirectory()) mkdirSync(to, { recursive: true });
      else cpSync(f.source, to, { verbatimSymlinks: true, preserveTimestamps: true });
    }
    return (await walkRoot(root, analyzers, { layer })).facts;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Walks a whole directory tree mapped to the image root, or staged below `prefix` first. */
export async function analyzeTree(
  analyzers: Analyzer[],
  root: string,
  options: { prefix?: string; layer?: number } = {},
): Promise<LayerFact[]> {
  const prefix = (options.prefix ?? '/').replace(/\/+$/, '');
  if (prefix === '') return (await walkRoot(root, analyzers, { layer: options.layer })).facts;
  const staged = mkdtempSync(join(tmpdir(), 'zerocve-stage-'));
  try {
    cpSync(root, join(staged, prefix), { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    return (await walkRoot(staged, analyzers, { layer: options.layer })).facts;
  } finally {
    rmSync(staged, { recursive: true, force: true });
  }
}

/** The inventory of ROOT (with owned files) and its file-owner index, from the real catalogers and buildInventory. */
export async function inventoryOf(root: string): Promise<{ inventory: Inventory; owners: FileOwners }> {
  const { facts } = await walkRoot(root, createCatalogers());
  return buildInventoryAndOwners(facts, { files: true });
}
