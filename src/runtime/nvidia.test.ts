import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { detectDriverVersion, queryComputeCaps, validDriverVersion } from './nvidia.ts';

test('detectDriverVersion reads the kernel module version from the proc file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zc-drv-'));
  try {
    const f = join(dir, 'version');
    writeFileSync(
      f,
      'NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024\n' +
        'GCC version:  gcc version 12.2.0\n',
    );
    assert.equal(detectDriverVersion({ procFile: f, nvidiaSmi: '/nonexistent' }), '550.54.15');
    assert.equal(detectDriverVersion({ procFile: join(dir, 'none'), nvidiaSmi: '/nonexistent' }), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('detectDriverVersion falls back to what nvidia-smi prints', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zc-smi-'));
  try {
    const smi = join(dir, 'nvidia-smi');
    writeFileSync(smi, '#!/bin/sh\necho 535.104.05\n', { mode: 0o755 });
    assert.equal(detectDriverVersion({ procFile: join(dir, 'none'), nvidiaSmi: smi }), '535.104.05');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('queryComputeCaps: nvidia-smi output as printed; no nvidia-smi means no GPU, not an error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zc-smi-'));
  try {
    const smi = join(dir, 'nvidia-smi');
    writeFileSync(smi, '#!/bin/sh\nprintf "8.0\\n9.0\\n"\n', { mode: 0o755 });
    assert.equal(await queryComputeCaps({ nvidiaSmi: smi }), '8.0\n9.0\n');
    assert.equal(await queryComputeCaps({ nvidiaSmi: join(dir, 'absent') }), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('validDriverVersion', () => {
  assert.equal(validDriverVersion('550.54.15'), true);
  assert.equal(validDriverVersion('550'), false);
  assert.equal(validDriverVersion('550.54.15; rm -rf'), false);
});
