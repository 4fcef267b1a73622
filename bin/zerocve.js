#!/usr/bin/env -S node --max-semi-space-size=16
// Entry point: the CLI is TypeScript run by Node's type stripping (Node >= 24).
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(
    `zerocve: needs Node.js 24 or newer (this is ${process.version}); run it through npm/npx in the ` +
      `project, which pins Node 24\n`,
  );
  process.exit(2);
}
// Node compiles (and strips the types of) ~200 modules at every start, ~0.3 s of CPU; its compile cache (in the OS
// temp folder unless NODE_COMPILE_CACHE says otherwise; NODE_DISABLE_COMPILE_CACHE=1 turns it off) keeps the result.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
