// The catalog's public door: the explicit list of analyzers, and the step from merged facts to an Inventory.
import type { Analyzer } from '../core/analyzer.ts';
import { createOsAnalyzer } from './os/analyzer.ts';
import { createDpkgAnalyzer } from './dpkg/analyzer.ts';
import { createApkAnalyzer } from './apk/analyzer.ts';
import { createRpmAnalyzer } from './rpm/analyzer.ts';
import { createPythonAnalyzer } from './python/analyzer.ts';
import { createCondaAnalyzer } from './conda/analyzer.ts';
import { createCudaAnalyzer } from './cuda/analyzer.ts';
import { createModelAnalyzer } from './model/analyzer.ts';
import { createNpmAnalyzer } from './npm/analyzer.ts';
import { createGolangAnalyzer } from './golang/analyzer.ts';
import { createJavaAnalyzer } from './java/analyzer.ts';
import { createCargoAnalyzer } from './cargo/analyzer.ts';

export { buildInventory, buildInventoryAndOwners, OS_PRECEDENCE } from './build-inventory.ts';
export { createFileOwners, usrMergedTwin } from './file-owners.ts';
export type { FileOwners } from './file-owners.ts';
export type { BuildInventoryOptions, LayerFact } from './build-inventory.ts';
export { purlOf } from './purl.ts';

export interface CatalogerOptions {
  /**
   * Whether owned-file lists will be kept in the inventory. Analyzers always read them (buildInventory needs them
   * to mark Python distributions owned by OS packages); pass the same flag to buildInventory.
   */
  files?: boolean;
}

/** Every analyzer of the inventory, in one place. Order does not matter: each claims entries by path alone. */
export function createCatalogers(_options: CatalogerOptions = {}): Analyzer[] {
  return [
    createOsAnalyzer(),
    createDpkgAnalyzer(),
    createApkAnalyzer(),
    createRpmAnalyzer(),
    createPythonAnalyzer(),
    createCondaAnalyzer(),
    createCudaAnalyzer(),
    createModelAnalyzer(),
    createNpmAnalyzer(),
    createGolangAnalyzer(),
    createJavaAnalyzer(),
    createCargoAnalyzer(),
  ];
}
