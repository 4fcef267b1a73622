// Pickles and torch.save-style containers built here by python3 (protocols 0–5, benign and malicious, zip stored
// and deflated, nested, legacy multi-pickle), disassembled by the analyzer as they stream, and compared with what
// Python's own unpickler would import (a recording Unpickler whose find_class returns a harmless stub).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Fact } from '../../core/fact.ts';
import type { EntryHeader } from '../../core/entry.ts';
import { createModelSafetyAnalyzer, classifyImport, checkSafetensorsHeader } from './index.ts';

const GENERATOR = String.raw`
import sys, os, io, json, pickle, types, zipfile, collections, struct

out = sys.argv[1]
# stand-ins for torch so pickle writes the same GLOBALs torch.save writes, without torch installed
torch = types.ModuleType('torch'); utils = types.ModuleType('torch._utils')
sys.modules['torch'] = torch; sys.modules['torch._utils'] = utils; torch._utils = utils
def _rebuild_tensor_v2(*a): return a
_rebuild_tensor_v2.__module__ = 'torch._utils'; utils._rebuild_tensor_v2 = _rebuild_tensor_v2
class FloatStorage: pass
FloatStorage.__module__ = 'torch'; torch.FloatStorage = FloatStorage

class Tensor:
    def __init__(self, key, n): self.key, self.n = key, n
    def __reduce__(self):
        storage = ('storage', FloatStorage, self.key, 'cpu', self.n)
        return (_rebuild_tensor_v2, (storage, 0, (self.n,), (1,), False, collections.OrderedDict()))

class StoragePickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, tuple) and len(obj) == 5 and obj[0] == 'storage': return obj
        return None

class Evil:
    def __reduce__(self): return (os.system, ('echo owned',))
class Evil2:
    def __reduce__(self): return (os.getcwd, ())
class EvalIt:
    def __reduce__(self): return (eval, ("1+1",))

def benign():
    return collections.OrderedDict([('conv.weight', Tensor('0', 16)), ('conv.bias', Tensor('1', 4)), ('steps', 10)])
def evil():
    return {'state': benign(), 'x': Evil(), 'y': Evil2(), 'z': EvalIt(), 'big': 'A' * 10000, 'raw': b'\x00' * 300}

def dump(obj, proto):
    f = io.BytesIO(); StoragePickler(f, protocol=proto).dump(obj); return f.getvalue()

class Stub(dict):
    def __new__(cls, *a, **k): return dict.__new__(cls)
    def __init__(self, *a, **k): pass
    def __setstate__(self, state): pass
    def append(self, x): pass
    def extend(self, xs): pass

class Recorder(pickle.Unpickler):
    """what loading would import, found by the real unpickler with every import replaced by a harmless stub"""
    def __init__(self, f): super().__init__(f); self.seen = []
    def find_class(self, m, n):
        self.seen.append(f'{m}.{n}')
        return Stub
    def persistent_load(self, pid): return None

def oracle(data):
    f = io.BytesIO(data); seen = []
    while f.tell() < len(data):
        if data[f.tell()] != 0x80 and seen: break
        r = Recorder(f); r.load(); seen += r.seen
    return sorted(set(seen))

expected = {}
def write(name, data, members=None):
    open(os.path.join(out, name), 'wb').write(data)

for proto in range(0, 6):
    for kind, obj in (('benign', benign()), ('evil', evil())):
        data = dump(obj, proto)
        name = f'{kind}_p{proto}.pkl'
        write(name, data); expected[name] = oracle(data)

def torch_zip(name, pkl, compression, extra=()):
    with zipfile.ZipFile(os.path.join(out, name), 'w', compression=compression) as z:
        z.writestr('archive/data.pkl', pkl)
        z.writestr('archive/byteorder', 'little')
        z.writestr('archive/data/0', b'\x80\x02' + bytes(62))  # tensor bytes that look like a pickle start
        z.writestr('archive/data/1', struct.pack('<4f', 1, 2, 3, 4))
        for n, d in extra: z.writestr(n, d)
        z.writestr('archive/version', '3\n')
    seen = oracle(pkl)
    for n, d in extra:
        if d[:1] == b'\x80': seen = sorted(set(seen) | set(oracle(d)))
    expected[name] = seen

torch_zip('model.pt', dump(benign(), 2), zipfile.ZIP_STORED)
torch_zip('model_deflated.pt', dump(benign(), 2), zipfile.ZIP_DEFLATED)
torch_zip('nested_evil.pt', dump(benign(), 2), zipfile.ZIP_STORED, [('archive/extra/payload.bin', dump(Evil(), 4))])
torch_zip('evil_zip.pth', dump(evil(), 4), zipfile.ZIP_DEFLATED)

# written to an unseekable stream: sizes only in data descriptors after each member (bit 3 set)
class Unseekable(io.RawIOBase):
    def __init__(self): self.buf = bytearray()
    def writable(self): return True
    def seekable(self): return False
    def write(self, b): self.buf += b; return len(b)
u = Unseekable()
with zipfile.ZipFile(u, 'w', compression=zipfile.ZIP_STORED) as z:
    z.writestr('archive/data.pkl', dump(benign(), 2))
    z.writestr('archive/data/0', bytes(8) + b'PK\x07\x08' + bytes(52))  # a descriptor signature inside tensor data
    z.writestr('archive/extra/payload.bin', dump(Evil(), 4))
    z.writestr('archive/version', '3\n')
write('evil_streamed.pt', bytes(u.buf))
expected['evil_streamed.pt'] = sorted(set(oracle(dump(benign(), 2))) | set(oracle(dump(Evil(), 4))))

# legacy torch.save: magic number, protocol, sys info, object, storage keys, then raw storage bytes
legacy_header = (0x1950a86a20f9469cfc6c, 1001, {'protocol_version': 1001, 'little_endian': True})
legacy = b''.join(pickle.dumps(x, protocol=2) for x in legacy_header)
legacy += dump(benign(), 2) + pickle.dumps(['0', '1'], protocol=2) + struct.pack('<q', 16) + bytes(64)
write('legacy.pt', legacy); expected['legacy.pt'] = sorted(set(oracle(dump(benign(), 2))))

# protocol-0 strings with escapes feeding STACK_GLOBAL: the module name is spelled 'o\x73'
escaped = b"S'o\\x73'\nS'sys\\164em'\n\x93S'id'\n\x85R."
write('evil_escaped.pkl', escaped); expected['evil_escaped.pkl'] = oracle(escaped)

json.dump(expected, open(os.path.join(out, 'expected.json'), 'w'), indent=1)
`;

let dir = '';
let expected: Record<string, string[]> = {};
let python: false | string = false;
try {
  execFileSync('python3', ['-c', 'import pickle, zipfile'], { stdio: 'pipe' });
} catch {
  python = 'python3 not available';
}

before(() => {
  if (python) return;
  dir = mkdtempSync(join(tmpdir(), 'zerocve-model-'));
  writeFileSync(join(dir, 'gen.py'), GENERATOR);
  execFileSync('python3', [join(dir, 'gen.py'), dir], { stdio: 'pipe' });
  expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const header = (path: string, size: number): EntryHeader => ({
  path,
  type: 'file',
  mode: 0o644,
  uid: 0,
  gid: 0,
  size,
  mtime: 0,
});

async function analyze(data: Buffer, path: string, chunk = 65536): Promise<Fact[]> {
  const a = createModelSafetyAnalyzer();
  const h = header(path, data.length);
  if (a.wants(h) !== 'stream') return [];
  const sink = a.sink!(h);
  for (let i = 0; i < data.length; i += chunk) sink.write(data.subarray(i, i + chunk));
  return sink.end();
}

const pickleOf = (facts: Fact[]) => {
  const p = facts.filter((f) => f.kind === 'pickle');
  assert.equal(p.length, 1, JSON.stringify(facts));
  return p[0].kind === 'pickle' ? p[0] : assert.fail();
};
const names = (xs: { module: string; name: string }[]) => [...new Set(xs.map((i) => `${i.module}.${i.name}`))].sort();

test(
  'every generated pickle: imports equal what Python would import; unsafe ones flagged',
  { skip: python },
  async () => {
    const files = readdirSync(dir).filter((f) => /\.(pkl|pt|pth)$/.test(f));
    assert.ok(files.length >= 19, files.join());
    for (const file of files) {
      const data = readFileSync(join(dir, file));
      for (const chunk of [5, 65536]) {
        const facts = await analyze(data, `/models/${file}`, chunk);
        assert.deepEqual(
          facts.filter((f) => f.kind === 'problem'),
          [],
          `${file} (${chunk}-byte chunks)`,
        );
        const p = pickleOf(facts);
        assert.deepEqual(names(p.imports), expected[file], `${file} (${chunk}-byte chunks)`);
        const evil = /evil/.test(file);
        assert.equal(p.severity, evil ? 'critical' : undefined, file);
        if (evil)
          assert.ok(
            names(p.unsafe).some((n) => n === 'posix.system' || n === 'os.system'),
            file,
          );
        else assert.deepEqual(p.unsafe, [], file);
      }
    }
  },
);

test(
  'STACK_GLOBAL names are followed through the memo (protocol 4 reuses "posix" by BINGET)',
  { skip: python },
  async () => {
    const data = readFileSync(join(dir, 'evil_p4.pkl'));
    const p = pickleOf(await analyze(data, '/m/evil_p4.pkl'));
    const sys = p.imports.filter((i) => i.module === 'posix');
    assert.deepEqual(sys.map((i) => i.name).sort(), ['getcwd', 'system']);
    assert.ok(sys.every((i) => i.opcode === 'STACK_GLOBAL'));
    assert.ok(!p.imports.some((i) => i.module === '?'), 'every STACK_GLOBAL resolved');
  },
);

test(
  'zip members: data.pkl is named as the member, tensor data is not parsed, nested pickles are found',
  { skip: python },
  async () => {
    const p = pickleOf(await analyze(readFileSync(join(dir, 'nested_evil.pt')), '/srv/nested_evil.pt'));
    const members = new Set(p.imports.map((i) => i.member));
    assert.deepEqual([...members].sort(), ['archive/data.pkl', 'archive/extra/payload.bin']);
    assert.deepEqual(
      p.unsafe.map((i) => `${i.member}:${i.module}.${i.name}`),
      ['archive/extra/payload.bin:posix.system'],
    );
  },
);

test('malformed inputs become problems naming the file, never a crash', { skip: python }, async () => {
  const good = readFileSync(join(dir, 'benign_p2.pkl'));
  const cut = await analyze(good.subarray(0, good.length - 9), '/m/cut.pkl');
  assert.match(
    cut.find((f) => f.kind === 'problem')?.kind === 'problem'
      ? (cut.find((f) => f.kind === 'problem') as { message: string }).message
      : '',
    /^\/m\/cut\.pkl: .*truncated/,
  );
  const junk = await analyze(Buffer.from([0x80, 0x02, 0xff, 0x00]), '/m/junk.pkl');
  assert.ok(junk.some((f) => f.kind === 'problem' && /unknown opcode 0xff/.test(f.message)));
  const zip = readFileSync(join(dir, 'model.pt'));
  const zcut = await analyze(zip.subarray(0, 200), '/m/zcut.pt');
  assert.ok(
    zcut.some((f) => f.kind === 'problem' && /truncated/.test(f.message)),
    JSON.stringify(zcut),
  );
  // a text file named .bin is not a model: nothing reported
  assert.deepEqual(await analyze(Buffer.from('hello world, not a model\n'), '/usr/lib/firmware/x.bin'), []);
});

test('classifyImport: allow-list and risk levels', () => {
  const table: [string, string, string][] = [
    ['torch._utils', '_rebuild_tensor_v2', 'safe'],
    ['torch', 'BFloat16Storage', 'safe'],
    ['torch', 'bfloat16', 'safe'],
    ['collections', 'OrderedDict', 'safe'],
    ['numpy.core.multiarray', '_reconstruct', 'safe'],
    ['numpy', 'dtype', 'safe'],
    ['builtins', 'set', 'safe'],
    ['_codecs', 'encode', 'safe'],
    ['os', 'system', 'critical'],
    ['posix', 'system', 'critical'],
    ['nt', 'system', 'critical'],
    ['subprocess', 'Popen', 'critical'],
    ['builtins', 'eval', 'critical'],
    ['__builtin__', 'exec', 'critical'],
    ['builtins', '__import__', 'critical'],
    ['runpy', '_run_code', 'critical'],
    ['webbrowser', 'open', 'critical'],
    ['socket', 'create_connection', 'critical'],
    ['shutil', 'rmtree', 'critical'],
    ['builtins', 'getattr', 'high'],
    ['operator', 'attrgetter', 'high'],
    ['?', '?', 'high'],
    ['__main__', 'MyNet', 'medium'],
    ['sklearn.linear_model', 'LogisticRegression', 'medium'],
  ];
  for (const [module, name, risk] of table) assert.equal(classifyImport({ module, name }), risk, `${module}.${name}`);
});

function safetensors(header: unknown, dataBytes: number, pad = 0): Buffer {
  const json = Buffer.from(JSON.stringify(header) + ' '.repeat(pad));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, Buffer.alloc(dataBytes)]);
}

test('safetensors: a valid header passes, each broken rule is a problem', async () => {
  const ok = {
    __metadata__: { format: 'pt' },
    'a.weight': { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
    'a.bias': { dtype: 'BF16', shape: [4], data_offsets: [24, 32] },
  };
  assert.deepEqual(await analyze(safetensors(ok, 32, 5), '/m/model.safetensors', 7), []);
  const cases: [string, Buffer, RegExp][] = [
    [
      'overlap',
      safetensors(
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
        },
        12,
      ),
      /overlap/,
    ],
    [
      'beyond',
      safetensors({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 8),
      /beyond the 8-byte data region/,
    ],
    ['shape', safetensors({ a: { dtype: 'F16', shape: [3], data_offsets: [0, 8] } }, 8), /needs 6/],
    ['dtype', safetensors({ a: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, 16), /unknown dtype/],
    [
      'hole',
      safetensors({ a: { dtype: 'U8', shape: [4], data_offsets: [4, 8] } }, 8),
      /unindexed bytes before tensor a/,
    ],
    ['tail', safetensors({ a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] } }, 8), /unindexed bytes after/],
    ['json', Buffer.concat([Buffer.from([5, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{oops')]), /not JSON/],
    [
      'length',
      Buffer.concat([Buffer.from([0xff, 0xff, 0, 0, 0, 0, 0, 0]), Buffer.from('{}')]),
      /exceeds the file size/,
    ],
  ];
  for (const [name, data, re] of cases) {
    const facts = await analyze(data, `/m/${name}.safetensors`, 3);
    assert.ok(
      facts.some((f) => f.kind === 'problem' && re.test(f.message) && f.message.startsWith(`/m/${name}.safetensors: `)),
      `${name}: ${JSON.stringify(facts)}`,
    );
  }
  assert.deepEqual(checkSafetensorsHeader(2, Buffer.from('{}'), 10), []);
});

test('a .pth path-configuration file in site-packages is not taken for a model', () => {
  const a = createModelSafetyAnalyzer();
  const h = (path: string) => ({ path, type: 'file' as const, mode: 0o644, uid: 0, gid: 0, size: 200, mtime: 0 });
  assert.equal(a.wants(h('/usr/lib/python3/dist-packages/distutils-precedence.pth')), null);
  assert.equal(a.wants(h('/usr/local/lib/python3.11/site-packages/easy-install.pth')), null);
  assert.equal(a.wants(h('/models/resnet/weights.pth')), 'stream');
  assert.equal(a.wants(h('/usr/lib/python3/dist-packages/pkg/checkpoint.pth')), 'stream');
});
