#!/usr/bin/env -S node --max-semi-space-size=16
// Entry point: the CLI is TypeScript run by Node's type stripping (Node >= 24).
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(
    `zerocve: needs Node.js 24 or newer (this is ${process.version}); run it through npm/npx in the project, which pins Node 24\n`,
  );
  process.exit(2);
}
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
