// Turn a pull-style parser (a generator asking for "n bytes", "skip n", "a line") into a push sink that accepts
// chunks as a layer streams by. Only what the parser asks to read is buffered; skipped bytes are dropped at once.

const EMPTY = Buffer.alloc(0);

export type Pull =
  | { read: number }
  | { skip: number }
  /** bytes up to (not including) `\n`; at most `max` bytes, else the parser gets null */
  | { line: number };

/** What the parser receives back: the bytes asked for (fewer when the input ends inside a read), or null at end of
 * input (or for an over-long line). */
export type Pulled = Buffer | null;

export interface PushParser {
  write(chunk: Buffer): void;
  end(): void;
  /** absolute offset of the next byte the parser will see */
  readonly offset: number;
  readonly done: boolean;
}

export function createPushParser(gen: Generator<Pull, void, Pulled>): PushParser {
  let req: Pull | undefined;
  let acc: Buffer[] = [];
  let got = 0;
  let done = false;
  let offset = 0;

  const send = (value: Pulled): void => {
    acc = [];
    got = 0;
    const r = gen.next(value);
    if (r.done) {
      done = true;
      req = undefined;
    } else req = r.value;
  };
  // start the generator: the first next() runs to its first request
  const first = gen.next(null as unknown as Pulled);
  if (first.done) done = true;
  else req = first.value;

  return {
    get offset() {
      return offset;
    },
    get done() {
      return done;
    },
    write(chunk: Buffer) {
      let pos = 0;
      while (!done && req && pos < chunk.length) {
        if ('skip' in req) {
          const n = Math.min(req.skip - got, chunk.length - pos);
          got += n;
          pos += n;
          offset += n;
          if (got === req.skip) send(EMPTY);
        } else if ('read' in req) {
          if (got === 0 && chunk.length - pos >= req.read) {
            // fast path: the whole read lies in this chunk
            const n = req.read;
            pos += n;
            offset += n;
            send(chunk.subarray(pos - n, pos));
            continue;
          }
          const n = Math.min(req.read - got, chunk.length - pos);
          acc.push(chunk.subarray(pos, pos + n));
          got += n;
          pos += n;
          offset += n;
          if (got === req.read) send(Buffer.concat(acc, got));
        } else {
          const nl = chunk.indexOf(0x0a, pos);
          const stop = nl < 0 ? chunk.length : nl;
          const n = stop - pos;
          if (got + n > req.line) {
            offset += n;
            send(null);
            pos = stop;
            continue;
          }
          acc.push(chunk.subarray(pos, stop));
          got += n;
          offset += n;
          pos = stop;
          if (nl >= 0) {
            pos++;
            offset++;
            send(Buffer.concat(acc, got));
          }
        }
      }
    },
    end() {
      while (!done && req) {
        if ('read' in req && req.read === 0) {
          send(EMPTY);
          continue;
        }
        if ('skip' in req && req.skip === 0) {
          send(EMPTY);
          continue;
        }
        // a read cut short by the end of input gets the bytes there were (callers check the length)
        if ('read' in req && got > 0) {
          send(Buffer.concat(acc, got));
          continue;
        }
        send(null);
      }
    },
  };
}
