// The only place that touches the process: parses arguments, wires use cases, prints, and maps results to exit codes.
import { ZerocveError } from '../core/errors.ts';
import { EXIT } from './exit.ts';
import { VERSION } from '../app/index.ts';
import { scan, sbom, compare, bloat, inspect, type Command } from './commands/scan.ts';
import { db } from './commands/db.ts';
import { build, slim } from './commands/make.ts';
import { serve, worker, token } from './commands/serve.ts';

export { EXIT };

/** Every command, in the order `zerocve --help` lists them. */
const commands: Record<string, Command> = {
  scan,
  compare,
  sbom,
  inspect,
  bloat,
  db,
  slim,
  build,
  serve,
  worker,
  token,
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
    process.stdout.write(`zerocve ${VERSION}\n`);
    return EXIT.ok;
  }
  const c = commands[cmd];
  if (!c) {
    process.stderr.write(`zerocve: unknown command '${cmd}'\n${usage()}`);
    return EXIT.usage;
  }
  try {
    return await c.run(rest);
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
