// Streams the containers found at one nesting depth of a large JSON document, each parsed on its own, so a feed of
// hundreds of megabytes (Debian tracker, NVD yearly feeds) never sits in memory whole.
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';

export interface JsonMember {
  /** keys (object members) or indexes (array elements) from the root to this value */
  path: (string | number)[];
  value: unknown;
}

interface Frame {
  array: boolean;
  key: string | number;
}

/**
 * Yields every object or array that opens at `depth` (1 = members of the root container, 2 = their members, …),
 * parsed with JSON.parse, with its path. Scalars at that depth are skipped. Throws SyntaxError on malformed JSON
 * found in a yielded value or at the end of a truncated document.
 */
export async function* streamJsonContainers(input: Readable, depth: number): AsyncGenerator<JsonMember> {
  input.setEncoding('utf8');
  const stack: Frame[] = [];
  let inStr = false;
  let esc = false;
  let shallowStr = '';
  let lastString: string | undefined;
  let capturing = false;
  let captureDepth = 0;
  let parts: string[] = [];
  let capturePath: (string | number)[] = [];
  for await (const chunk of input as AsyncIterable<string>) {
    let start = capturing ? 0 : -1;
    const out: JsonMember[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (inStr) {
        if (esc) {
          esc = false;
          if (!capturing) shallowStr += chunk[i];
          continue;
        }
        if (c === 92 /* \ */) {
          esc = true;
          if (!capturing) shallowStr += '\\';
          continue;
        }
        if (c === 34 /* " */) {
          inStr = false;
          if (!capturing) lastString = JSON.parse(`"${shallowStr}"`) as string;
          continue;
        }
        if (!capturing) shallowStr += chunk[i];
        continue;
      }
      if (c === 34) {
        inStr = true;
        if (!capturing) shallowStr = '';
        continue;
      }
      if (capturing) {
        if (c === 123 || c === 91) captureDepth++;
        else if (c === 125 || c === 93) {
          if (--captureDepth === 0) {
            parts.push(chunk.slice(start, i + 1));
            out.push({ path: capturePath, value: JSON.parse(parts.join('')) });
            parts = [];
            capturing = false;
            start = -1;
          }
        }
        continue;
      }
      if (c === 58 /* : */) {
        const top = stack[stack.length - 1];
        if (top && !top.array && lastString !== undefined) top.key = lastString;
        continue;
      }
      if (c === 44 /* , */) {
        const top = stack[stack.length - 1];
        if (top?.array) (top.key as number)++;
        continue;
      }
      if (c === 123 || c === 91) {
        if (stack.length === depth) {
          capturing = true;
          captureDepth = 1;
          start = i;
          parts = [];
          capturePath = stack.map((f) => f.key);
          continue;
        }
        stack.push({ array: c === 91, key: c === 91 ? 0 : '' });
        continue;
      }
      if (c === 125 || c === 93) {
        stack.pop();
        continue;
      }
    }
    if (capturing && start >= 0) parts.push(chunk.slice(start));
    yield* out;
  }
  if (capturing || stack.length > 0 || inStr) throw new SyntaxError('JSON document ends early (truncated)');
}

/** A file as a text stream, gunzipped when it is gzip (by name `.gz`). 256 KiB reads. */
export function openFeedFile(path: string): Readable {
  const raw = createReadStream(path, { highWaterMark: 256 * 1024 });
  if (!/\.gz$/i.test(path)) return raw;
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  raw.on('error', (err) => gunzip.destroy(err));
  return raw.pipe(gunzip);
}
