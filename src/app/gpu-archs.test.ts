import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chooseGpuArchs } from './gpu-archs.ts';
import { queryComputeCaps } from '../runtime/index.ts';
import { UsageError } from '../core/errors.ts';

const never = async (): Promise<string | undefined> => {
  throw new Error('the host must not be probed when --gpu-arch is given');
};

test('--gpu-arch wins, normalized and deduplicated, without probing the host', async () => {
  assert.deepEqual(await chooseGpuArchs(['sm_90,8.0', '80'], never), {
    archs: ['sm_80', 'sm_90'],
    source: 'flag',
    note: 'device code judged against sm_80, sm_90 (--gpu-arch)',
  });
  await assert.rejects(chooseGpuArchs(['hopper'], never), UsageError);
});

test('without --gpu-arch, the GPUs nvidia-smi reports on the host are served', async () => {
  const c = await chooseGpuArchs(undefined, async () => '8.0\n8.0\n9.0\n');
  assert.deepEqual(c.archs, ['sm_80', 'sm_90']);
  assert.equal(c.source, 'host');
  assert.match(c.note, /this host's GPUs \(sm_80, sm_90, from nvidia-smi\)/);
});

test('no GPU on the host: nothing is served, and the note says so', async () => {
  const absent = await chooseGpuArchs([], async () => undefined);
  assert.deepEqual(absent.archs, []);
  assert.equal(absent.source, 'none');
  assert.match(absent.note, /no GPU found on this host \(no nvidia-smi\).*no device code counted prunable/);
  const none = await chooseGpuArchs(undefined, async () => '');
  assert.equal(none.source, 'none');
  assert.match(none.note, /nvidia-smi lists none/);
});

test(
  'on this machine, with the real probe',
  { skip: existsSync('/dev/nvidia0') ? 'this host has an NVIDIA GPU' : false },
  async () => {
    const c = await chooseGpuArchs(undefined, () => queryComputeCaps());
    assert.deepEqual(c.archs, []);
    assert.equal(c.source, 'none');
  },
);
