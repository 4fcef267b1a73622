// A pickle disassembler that never executes anything: it walks the opcodes of protocols 0–5, models the stack and
// memo just enough to know which strings STACK_GLOBAL consumes, and lists every import (GLOBAL, INST,
// STACK_GLOBAL, EXT*). Large arguments (bytes, long strings) are skipped as they stream by, never buffered.
// Several pickles back to back (the legacy torch.save format) are read one after another; bytes after the last
// STOP that do not start another pickle (raw tensor storage) are ignored.
import type { PickleImport } from '../../core/fact.ts';
import type { Pull, Pulled } from './pull-parser.ts';

/** strings longer than this are not kept (they are skipped; a STACK_GLOBAL using one is reported as unresolved) */
const MAX_KEPT_STRING = 4096;
const MAX_LINE = 65536;

export interface PickleScan {
  imports: PickleImport[];
  problems: string[];
  /** pickles read to their STOP */
  pickles: number;
  /** highest PROTO seen */
  protocol: number;
}

type Value = { t: 'str'; s: string } | { t: 'mark' } | { t: 'other' };
const OTHER: Value = { t: 'other' };
const MARK: Value = { t: 'mark' };

/** how many bytes hold the length (or memo index) that follows each length-prefixed opcode */
const LENGTH_SIZE: Record<number, 1 | 4 | 8> = {
  0x8a: 1, // LONG1
  0x8b: 4, // LONG4
  0x42: 4, // BINBYTES
  0x43: 1, // SHORT_BINBYTES
  0x8e: 8, // BINBYTES8
  0x96: 8, // BYTEARRAY8
  0x54: 4, // BINSTRING
  0x55: 1, // SHORT_BINSTRING
  0x58: 4, // BINUNICODE
  0x8c: 1, // SHORT_BINUNICODE
  0x8d: 8, // BINUNICODE8
  0x68: 1, // BINGET
  0x6a: 4, // LONG_BINGET
  0x71: 1, // BINPUT
  0x72: 4, // LONG_BINPUT
};

/**
 * The parser, as a pull generator (drive it with createPushParser). Results accumulate in `out`.
 * `member` is set on every import (which pickle inside a container).
 */
export function* pickleParser(out: PickleScan, member?: string): Generator<Pull, void, Pulled> {
  let pos = 0; // offset within this pickle stream, for messages
  let stack: Value[] = [];
  let memo = new Map<number, Value>();
  const imp = (module: string, name: string, opcode: PickleImport['opcode']): void => {
    out.imports.push(member === undefined ? { module, name, opcode } : { module, name, member, opcode });
  };
  const pop = (): Value => stack.pop() ?? OTHER;
  const popMark = (): Value[] => {
    const i = stack.findLastIndex((v) => v.t === 'mark');
    if (i < 0) {
      const all = stack;
      stack = [];
      return all;
    }
    const items = stack.slice(i + 1);
    stack = stack.slice(0, i);
    return items;
  };
  const top = (): Value => stack[stack.length - 1] ?? OTHER;

  function* bytes(n: number): Generator<Pull, Buffer | null, Pulled> {
    const b = yield { read: n };
    if (b) pos += n;
    return b && b.length === n ? b : null;
  }
  /** a little-endian unsigned length or index of `size` bytes */
  function* uint(size: 1 | 4 | 8): Generator<Pull, number | null, Pulled> {
    const b = yield* bytes(size);
    if (!b) return null;
    return size === 1 ? b[0] : size === 4 ? b.readUInt32LE(0) : Number(b.readBigUInt64LE(0));
  }
  function* line(): Generator<Pull, string | null, Pulled> {
    const b = yield { line: MAX_LINE };
    if (!b) return null;
    pos += b.length + 1;
    return b.toString('latin1').replace(/\r$/, '');
  }
  /** a length-prefixed string: kept when short, skipped when long */
  function* str(len: number, encoding: 'utf8' | 'latin1'): Generator<Pull, Value | null, Pulled> {
    if (len > MAX_KEPT_STRING) {
      const r = yield { skip: len };
      if (!r) return null;
      pos += len;
      return OTHER;
    }
    const b = yield* bytes(len);
    return b ? { t: 'str', s: b.toString(encoding) } : null;
  }
  function* skip(len: number): Generator<Pull, boolean, Pulled> {
    if (len === 0) return true;
    const r = yield { skip: len };
    if (!r) return false;
    pos += len;
    return true;
  }
  const fail = (msg: string): void => {
    out.problems.push(`${member ? `${member}: ` : ''}pickle offset ${pos}: ${msg}`);
  };

  let first = true;
  for (;;) {
    const opAt = pos;
    const ob = yield* bytes(1);
    if (!ob) {
      if (first) fail('empty pickle');
      else if (stack.length > 0 || opAt > 0) fail('truncated: no STOP opcode');
      return;
    }
    first = false;
    const op = ob[0];
    let ok = true;
    switch (op) {
      case 0x80: {
        const b = yield* bytes(1);
        if (!b) {
          ok = false;
          break;
        }
        out.protocol = Math.max(out.protocol, b[0]);
        if (b[0] > 5) fail(`unsupported protocol ${b[0]}`);
        break;
      } // PROTO
      case 0x95:
        ok = yield* skip(8);
        break; // FRAME
      case 0x2e: {
        // STOP
        out.pickles++;
        // another pickle directly after? (legacy torch.save writes several)
        const next = yield { read: 1 };
        if (!next || next.length === 0 || next[0] !== 0x80) return;
        pos = 1;
        stack = [];
        memo = new Map();
        const proto = yield* bytes(1);
        if (!proto) {
          fail('truncated after PROTO');
          return;
        }
        out.protocol = Math.max(out.protocol, proto[0]);
        continue;
      }
      case 0x28:
        stack.push(MARK);
        break; // MARK
      case 0x30:
        pop();
        break; // POP
      case 0x31:
        popMark();
        break; // POP_MARK
      case 0x32:
        stack.push(top());
        break; // DUP
      // ints, floats, constants
      case 0x46:
      case 0x49:
      case 0x4c: {
        const l = yield* line();
        if (l === null) {
          ok = false;
          break;
        }
        stack.push(OTHER);
        break;
      } // FLOAT INT LONG
      case 0x4a:
        ok = yield* skip(4);
        stack.push(OTHER);
        break; // BININT
      case 0x4b:
        ok = yield* skip(1);
        stack.push(OTHER);
        break; // BININT1
      case 0x4d:
        ok = yield* skip(2);
        stack.push(OTHER);
        break; // BININT2
      case 0x47:
        ok = yield* skip(8);
        stack.push(OTHER);
        break; // BINFLOAT
      case 0x4e:
      case 0x88:
      case 0x89:
        stack.push(OTHER);
        break; // NONE NEWTRUE NEWFALSE
      case 0x8a: // LONG1
      case 0x8b: // LONG4
      case 0x42: // BINBYTES
      case 0x43: // SHORT_BINBYTES
      case 0x8e: // BINBYTES8
      case 0x96: {
        // BYTEARRAY8
        const n = yield* uint(LENGTH_SIZE[op]);
        ok = n !== null && (yield* skip(n));
        stack.push(OTHER);
        break;
      }
      // strings
      case 0x53: {
        const l = yield* line();
        if (l === null) {
          ok = false;
          break;
        }
        stack.push(strFromRepr(l));
        break;
      } // STRING
      case 0x56: {
        const l = yield* line();
        if (l === null) {
          ok = false;
          break;
        }
        stack.push({
          t: 'str',
          s: l.replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})/g, (_, e: string) =>
            String.fromCodePoint(Number.parseInt(e.slice(1), 16)),
          ),
        });
        break;
      } // UNICODE (raw-unicode-escape)
      case 0x54: // BINSTRING
      case 0x55: // SHORT_BINSTRING
      case 0x58: // BINUNICODE
      case 0x8c: // SHORT_BINUNICODE
      case 0x8d: {
        // BINUNICODE8
        const n = yield* uint(LENGTH_SIZE[op]);
        const v = n === null ? null : yield* str(n, op === 0x54 || op === 0x55 ? 'latin1' : 'utf8');
        if (v) stack.push(v);
        else ok = false;
        break;
      }
      case 0x97:
        stack.push(OTHER);
        break; // NEXT_BUFFER
      case 0x98:
        break; // READONLY_BUFFER
      // containers
      case 0x29:
      case 0x5d:
      case 0x7d:
      case 0x8f:
        stack.push(OTHER);
        break; // EMPTY_TUPLE EMPTY_LIST EMPTY_DICT EMPTY_SET
      case 0x74:
      case 0x6c:
      case 0x64:
      case 0x91:
        popMark();
        stack.push(OTHER);
        break; // TUPLE LIST DICT FROZENSET
      case 0x85:
        pop();
        stack.push(OTHER);
        break; // TUPLE1
      case 0x86:
        pop();
        pop();
        stack.push(OTHER);
        break; // TUPLE2
      case 0x87:
        pop();
        pop();
        pop();
        stack.push(OTHER);
        break; // TUPLE3
      case 0x61:
        pop();
        break; // APPEND
      case 0x65:
      case 0x75:
      case 0x90:
        popMark();
        break; // APPENDS SETITEMS ADDITEMS
      case 0x73:
        pop();
        pop();
        break; // SETITEM
      // memo
      case 0x67: {
        const l = yield* line();
        if (l === null) {
          ok = false;
          break;
        }
        stack.push(memo.get(Number(l)) ?? OTHER);
        break;
      } // GET
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const n = yield* uint(LENGTH_SIZE[op]);
        if (n === null) ok = false;
        else stack.push(memo.get(n) ?? OTHER);
        break;
      }
      case 0x70: {
        const l = yield* line();
        if (l === null) {
          ok = false;
          break;
        }
        memo.set(Number(l), top());
        break;
      } // PUT
      case 0x71: // BINPUT
      case 0x72: {
        // LONG_BINPUT
        const n = yield* uint(LENGTH_SIZE[op]);
        if (n === null) ok = false;
        else memo.set(n, top());
        break;
      }
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      // imports and calls
      case 0x63: {
        // GLOBAL
        const m = yield* line();
        const n = m === null ? null : yield* line();
        if (m === null || n === null) {
          ok = false;
          break;
        }
        imp(m, n, 'GLOBAL');
        stack.push(OTHER);
        break;
      }
      case 0x69: {
        // INST
        const m = yield* line();
        const n = m === null ? null : yield* line();
        if (m === null || n === null) {
          ok = false;
          break;
        }
        imp(m, n, 'INST');
        popMark();
        stack.push(OTHER);
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (module.t === 'str' && name.t === 'str') imp(module.s, name.s, 'STACK_GLOBAL');
        else imp('?', '?', 'STACK_GLOBAL'); // built from values we cannot follow: unresolved, reported as unsafe
        stack.push(OTHER);
        break;
      }
      case 0x82:
      case 0x83:
      case 0x84: {
        // EXT1 EXT2 EXT4: a global from the copyreg extension registry
        const b = yield* bytes(op === 0x82 ? 1 : op === 0x83 ? 2 : 4);
        if (!b) {
          ok = false;
          break;
        }
        const code = op === 0x82 ? b[0] : op === 0x83 ? b.readUInt16LE(0) : b.readUInt32LE(0);
        imp('copyreg.extension', String(code), 'GLOBAL');
        stack.push(OTHER);
        break;
      }
      case 0x52:
        pop();
        pop();
        stack.push(OTHER);
        break; // REDUCE
      case 0x6f:
        popMark();
        stack.push(OTHER);
        break; // OBJ
      case 0x81:
        pop();
        pop();
        stack.push(OTHER);
        break; // NEWOBJ
      case 0x92:
        pop();
        pop();
        pop();
        stack.push(OTHER);
        break; // NEWOBJ_EX
      case 0x62:
        pop();
        break; // BUILD
      case 0x50: {
        const l = yield* line();
        if (l === null) {
          ok = false;
          break;
        }
        stack.push(OTHER);
        break;
      } // PERSID
      case 0x51:
        pop();
        stack.push(OTHER);
        break; // BINPERSID
      default:
        fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
        return;
    }
    if (!ok) {
      fail(`truncated inside opcode 0x${op.toString(16).padStart(2, '0')} at offset ${opAt}`);
      return;
    }
  }
}

/** STRING's argument is a Python bytes repr: 'abc' or "abc" with backslash escapes (\xNN, octal, \n…), decoded
 * as the unpickler does, so an escaped module name (`'o\x73'`) cannot hide from the import list. */
function strFromRepr(l: string): Value {
  const m = /^(['"])(.*)\1$/s.exec(l);
  if (!m) return OTHER;
  return { t: 'str', s: unescapePython(m[2]) };
}

const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '\n': '',
};

/** Python bytes-literal escapes as codecs.escape_decode reads them: \xNN, \NNN (octal) and the one-letter ones. */
export function unescapePython(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/gs, (all, e: string) => {
    if (e.length === 3 && e[0] === 'x') return String.fromCodePoint(Number.parseInt(e.slice(1), 16));
    if (/^[0-7]+$/.test(e)) return String.fromCharCode(Number.parseInt(e, 8));
    return SIMPLE_ESCAPES[e] ?? all;
  });
}
