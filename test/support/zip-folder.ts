// OSV feeds as their servers publish them: a folder of records zipped (all.zip), written by Python's zipfile so the
// reader under test never reads its own writer's output.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Zips the files of `dir` (only `*.json` with jsonOnly), sorted, deflated, into `out`; returns the zip's bytes. */
export function zipFolder(dir: string, out: string, options: { jsonOnly?: boolean } = {}): Buffer {
  execFileSync('python3', [
    '-c',
    `
import sys, os, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    for n in sorted(os.listdir(sys.argv[2])):
        if sys.argv[3] == 'all' or n.endswith('.json'): z.write(os.path.join(sys.argv[2], n), n)
`,
    out,
    dir,
    options.jsonOnly ? 'json' : 'all',
  ]);
  return readFileSync(out);
}
