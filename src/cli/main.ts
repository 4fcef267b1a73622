// The only place that touches the process: parses arguments, wires use cases, prints, and maps results to exit codes.
import { ZerocveError } from '../core/errors.ts';
import { EXIT } from './exit.ts';
import type { Command } from './commands/scan.ts';

export { EXIT };

/**
 * Every command, in the order `zerocve --help` lists them. A command's module (and what it imports: the service's
 * PostgreSQL client, the build and slim machinery, every report format…) is loaded only when that command runs.
 */
const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  scan: {
    summary: 'find vulnerabilities, attack surface and bloat in an image; gate CI',
    load: async () => (await import('./commands/scan.ts')).scan,
  },
  compare: {
    summary: 'put two images side by side: CVEs, packages, executables, size',
    load: async () => (await import('./commands/scan.ts')).compare,
  },
  sbom: {
    summary: 'write the inventory of an image as CycloneDX 1.6, SPDX 2.3 or zerocve JSON',
    load: async () => (await import('./commands/scan.ts')).sbom,
  },
  inspect: {
    summary: 'what an image is made of: platform, config, layers, file totals',
    load: async () => (await import('./commands/scan.ts')).inspect,
  },
  bloat: {
    summary: 'where the bytes of an image go: docs, toolchains, duplicates, GPU code for unused architectures',
    load: async () => (await import('./commands/scan.ts')).bloat,
  },
  db: {
    summary: 'update, import or show the local vulnerability database',
    load: async () => (await import('./commands/db.ts')).db,
  },
  slim: {
    summary: 'cut an image down to what a workload uses, and prove it still runs',
    load: async () => (await import('./commands/make.ts')).slim,
  },
  build: {
    summary: 'build a minimal image from Debian packages (image.yaml), with SBOM and provenance',
    load: async () => (await import('./commands/make.ts')).build,
  },
  serve: {
    summary: 'run the golden-image service: catalog, continuous re-scan, events, triage, HTTP API',
    load: async () => (await import('./commands/serve.ts')).serve,
  },
  worker: {
    summary: "run jobs (scans, re-matches) from the service's queue",
    load: async () => (await import('./commands/serve.ts')).worker,
  },
  token: {
    summary: 'create an API token for `zerocve serve` (printed once; stored hashed)',
    load: async () => (await import('./commands/serve.ts')).token,
  },
};

export function usage(): string {
  const lines = ['usage: zerocve <command> [flags]', '', 'commands:'];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push('', 'zerocve <command> --help shows the flags of a command.');
  return lines.join('\n') + '\n';
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(usage());
    return cmd ? EXIT.ok : EXIT.usage;
  }
  if (cmd === '--version' || cmd === 'version') {
    const { VERSION } = await import('../app/index.ts');
    process.stdout.write(`zerocve ${VERSION}\n`);
    return EXIT.ok;
  }
  const c = commands[cmd];
  if (!c) {
    process.stderr.write(`zerocve: unknown command '${cmd}'\n${usage()}`);
    return EXIT.usage;
  }
  try {
    return await (await c.load()).run(rest);
  } catch (err) {
    return reportError(err);
  }
}

export function reportError(err: unknown): number {
  if (err instanceof ZerocveError) {
    process.stderr.write(`zerocve: ${err.message}\n`);
    return err.kind === 'usage' ? EXIT.usage : EXIT.scanError;
  }
  const e = err as Error;
  process.stderr.write(`zerocve: internal error: ${e?.message ?? String(err)}\n`);
  if (process.env.ZEROCVE_DEBUG) process.stderr.write(`${e?.stack}\n`);
  return EXIT.scanError;
}
