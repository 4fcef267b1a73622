import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../core/errors.ts';
import { evaluateMarker, parseRequirement, type MarkerEnvironment } from './pep508.ts';

const linux312: MarkerEnvironment = {
  python_version: '3.12',
  python_full_version: '3.12.3',
  sys_platform: 'linux',
  platform_system: 'Linux',
  platform_machine: 'x86_64',
  os_name: 'posix',
  implementation_name: 'cpython',
};

test('pep508: requirement forms', () => {
  const r = parseRequirement('Torch_Vision[Extra1, extra-2] (>=0.17,<0.19) ; python_version >= "3.8"');
  assert.equal(r.name, 'Torch_Vision');
  assert.equal(r.normalizedName, 'torch-vision');
  assert.deepEqual(r.extras, ['Extra1', 'extra-2']);
  assert.deepEqual(
    r.specifiers.map((s) => `${s.op}${s.version}`),
    ['>=0.17', '<0.19'],
  );
  assert.ok(r.marker);
  const u = parseRequirement(
    'pip @ https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee ; sys_platform == "linux"',
  );
  assert.equal(u.url, 'https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee');
  assert.deepEqual(u.specifiers, []);
  const plain = parseRequirement('numpy');
  assert.equal(plain.marker, undefined);
  assert.equal(plain.specifier, '');
  assert.deepEqual(
    parseRequirement('nvidia-cudnn-cu12==9.1.0.70; platform_system == "Linux" and platform_machine == "x86_64"')
      .specifiers,
    [{ op: '==', version: '9.1.0.70', prefix: false }],
  );
});

test('pep508: marker evaluation', () => {
  const table: [string, MarkerEnvironment, boolean][] = [
    ['python_version >= "3.8"', linux312, true],
    ['python_version < "3.10"', linux312, false], // version, not text, comparison
    ['python_full_version >= "3.12.1"', linux312, true],
    ['sys_platform == "win32" or platform_machine == "x86_64"', linux312, true],
    // and binds tighter
    ['sys_platform == "win32" or platform_machine == "x86_64" and os_name == "nt"', linux312, false],
    ['(sys_platform == "win32" or platform_machine == "x86_64") and os_name == "posix"', linux312, true],
    ['"linux" in sys_platform', linux312, true],
    ['platform_machine not in "aarch64 arm64"', linux312, true],
    ["extra == 'GPU_Support'", { ...linux312, extra: 'gpu-support' }, true], // extras compared normalized
    ['extra == "gpu"', linux312, false],
    ['python_version == "3.12.*"', linux312, true],
    ["implementation_name == 'cpython'", linux312, true],
  ];
  for (const [m, env, want] of table) assert.equal(evaluateMarker(m, env), want, m);
});

test('pep508: invalid requirements', () => {
  for (const bad of [
    '',
    '-numpy',
    'numpy[gpu',
    'numpy >=> 1',
    'numpy; python_version >>> "3"',
    'numpy; foo == "1"',
    'numpy; python_version >= "3" and',
  ]) {
    assert.throws(
      () => parseRequirement(bad),
      (e: unknown) => e instanceof InputError && e.message.startsWith('pep508: invalid requirement'),
      bad,
    );
  }
});
