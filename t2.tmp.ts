import { buildInventory } from './src/catalog/index.ts';
import { analyzeTree } from './src/catalog/testing.ts';
import { createJavaAnalyzer } from './src/catalog/java/analyzer.ts';
import { createNpmAnalyzer } from './src/catalog/npm/analyzer.ts';
import { createGolangAnalyzer } from './src/catalog/golang/analyzer.ts';
const t = Date.now();
const facts = await analyzeTree([createJavaAnalyzer(), createNpmAnalyzer(), createGolangAnalyzer()], process.argv[2], {
  prefix: process.argv[3] ?? '/',
});
const inv = buildInventory(facts);
console.log(Date.now() - t, 'ms');
for (const p of inv.packages)
  console.log(
    p.type,
    p.name,
    p.version,
    p.purl,
    p.locations[0].path,
    (p.metadata as any).identifiedBy ?? (p.metadata as any).source ?? (p.metadata as any).role,
  );
console.log(inv.problems);
