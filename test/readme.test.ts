// The README stays true: every command and every flag the CLI accepts is documented there, and so are the exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { zerocve, ROOT } from './e2e/support.ts';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

test('README documents every command, flag and exit code', { timeout: 120_000 }, async () => {
  const top = await zerocve(['--help']);
  const commands = [...top.stdout.matchAll(/^ {2}(\w+) /gm)].map((m) => m[1]);
  assert.ok(commands.length >= 8, top.stdout);
  const missing: string[] = [];
  const helps = await Promise.all(
    [...commands.filter((c) => c !== 'db').map((c) => [c]), ['db', 'update'], ['db', 'import'], ['db', 'status']].map(
      async (c) => [c.join(' '), (await zerocve([...c, '--help'])).stdout] as const,
    ),
  );
  for (const [cmd, help] of helps) {
    if (!readme.includes(`zerocve ${cmd}`)) missing.push(`command: ${cmd}`);
    for (const m of help.matchAll(/--([a-z][a-z-]+)/g))
      if (!readme.includes(`--${m[1]}`)) missing.push(`${cmd} --${m[1]}`);
  }
  for (const code of ['| 0 |', '| 1 |', '| 2 |', '| 3 |'])
    if (!readme.includes(code)) missing.push(`exit code ${code}`);
  assert.deepEqual(missing, []);
});
