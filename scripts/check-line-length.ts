// Lists every line longer than 120 characters in the tracked *.ts, *.js, *.json and *.yaml files (git ls-files;
// node_modules is never tracked), printing `path:line: N characters`, and exits 1 when there is any.
// Characters are Unicode code points, so a line of non-ASCII text is not counted by its UTF-8 bytes.
// One narrow exemption: a line whose only content is one URL (optionally after a comment marker such as `//` or
// `*`), since a URL cannot be broken without breaking the link. Nothing else is exempt.
// Run by `npm run check` after prettier, which does not break long strings, template literals, regexes or comments.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MAX = 120;
const CHECKED = /\.(?:ts|js|json|yaml)$/;
const LONE_URL = /^\s*(?:(?:\/\/|\*|#)\s*)?https?:\/\/\S+$/;

const files = execFileSync('git', ['ls-files', '-z'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  .split('\0')
  .filter((path) => CHECKED.test(path) && !path.split('/').includes('node_modules'));

let long = 0;
for (const path of files) {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    continue; // tracked but deleted in the working tree
  }
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const length = [...lines[i]].length;
    if (length > MAX && !LONE_URL.test(lines[i])) {
      console.log(`${path}:${i + 1}: ${length} characters`);
      long++;
    }
  }
}
if (long > 0) {
  console.log(`${long} line(s) longer than ${MAX} characters`);
  process.exitCode = 1;
}
