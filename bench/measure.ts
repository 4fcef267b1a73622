// What the process benchmarks share: a child process timed by GNU time (wall, user+sys CPU, max RSS), and medians.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ProcessRun {
  /** seconds */
  wall: number;
  /** user + system seconds */
  cpu: number;
  rssMiB: number;
  /** what the process printed, when asked for */
  stdout: string;
}

let timeFile: string | undefined;

/** Runs `cmd args` to its end under /usr/bin/time; stderr passes through; stdout is kept or dropped. */
export function timeProcess(cmd: string, args: string[], options: { keepStdout?: boolean } = {}): ProcessRun {
  timeFile ??= join(mkdtempSync(join(tmpdir(), 'zerocve-bench-time-')), 'time');
  const out = execFileSync('/usr/bin/time', ['-o', timeFile, '-f', '%e %U %S %M', cmd, ...args], {
    stdio: ['ignore', options.keepStdout ? 'pipe' : 'ignore', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const [wall, user, sys, kb] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { wall, cpu: user + sys, rssMiB: Math.round(kb / 1024), stdout: out ?? '' };
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
