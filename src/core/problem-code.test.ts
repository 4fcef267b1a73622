// readerProblemCode: the format readers' own messages (ELF, zip, safetensors, Go build info, rpm) get the code that
// says what went wrong, and anything unrecognized stays `malformed`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readerProblemCode } from './package.ts';

test('format reader messages map to their problem codes', () => {
  const cases: [string, string][] = [
    ['safetensors header truncated: 3 of 10 bytes', 'truncated'],
    ['file ends at 100 before bytes 200–300', 'truncated'],
    ['Go build info blob truncated', 'truncated'],
    ['database truncated: metadata says 9 pages, file holds 4', 'truncated'],
    ['PT_INTERP of 5000 bytes exceeds the cap', 'too-large'],
    ['safetensors header length 200000000 exceeds 100000000 bytes', 'too-large'],
    ['ELF program headers beyond the first megabyte', 'too-large'],
    ['safetensors header length 900 exceeds the file size 100', 'malformed'],
    ['extended section numbering (e_shnum=0) not supported', 'unsupported'],
    ['zip member data.pkl: encrypted, not checked', 'unsupported'],
    ['several Go versions referenced: go1.20, go1.21', 'inconsistent'],
    ['bad ELF ident class=3 data=1', 'malformed'],
    ['tensor w: unknown dtype "Q9"', 'malformed'],
  ];
  for (const [message, code] of cases) assert.equal(readerProblemCode(message), code, message);
});
