import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultDockerConfigPath, lookupDockerCredentials } from './docker-config.ts';
import { InputError, RegistryError } from '../../core/errors.ts';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

test('defaultDockerConfigPath follows DOCKER_CONFIG, else ~/.docker', () => {
  assert.equal(defaultDockerConfigPath({ DOCKER_CONFIG: '/etc/dc' }, '/home/u'), '/etc/dc/config.json');
  assert.equal(defaultDockerConfigPath({}, '/home/u'), '/home/u/.docker/config.json');
});

test('lookupDockerCredentials reads auths the ways Docker writes them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zc-dockercfg-'));
  try {
    const cfg = join(dir, 'config.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pass:with:colons') },
          'ghcr.io': { identitytoken: 'refresh-me' },
          'http://localhost:5000/v2/': { username: 'lu', password: 'lp' },
          'quay.io': {},
        },
      }),
    );
    const table: [string, unknown][] = [
      ['docker.io', { kind: 'basic', username: 'hubuser', password: 'hub:pass:with:colons' }],
      ['ghcr.io', { kind: 'identity-token', token: 'refresh-me' }],
      ['localhost:5000', { kind: 'basic', username: 'lu', password: 'lp' }],
      ['quay.io', undefined],
      ['gcr.io', undefined],
    ];
    for (const [registry, want] of table)
      assert.deepEqual(await lookupDockerCredentials(cfg, registry), want, registry);
    assert.equal(await lookupDockerCredentials(join(dir, 'absent.json'), 'docker.io'), undefined);

    writeFileSync(cfg, '{"auths": {');
    await assert.rejects(
      lookupDockerCredentials(cfg, 'docker.io'),
      (e: unknown) => e instanceof InputError && e.message.startsWith(`docker config ${cfg}: not valid JSON`),
    );
    writeFileSync(cfg, JSON.stringify({ auths: { 'ghcr.io': { auth: b64('nocolon') } } }));
    await assert.rejects(lookupDockerCredentials(cfg, 'ghcr.io'), {
      message: `docker config ${cfg}: auths["ghcr.io"].auth is not base64 of user:password`,
    });

    // helpers: Docker Hub is asked for by its v1 URL; `<token>` user means identity token; a failing helper is one line
    const helper = join(dir, 'docker-credential-t');
    writeFileSync(
      helper,
      '#!/bin/sh\nread s\ncase "$s" in\n  https://index.docker.io/v1/) echo ' +
        '\'{"Username":"<token>","Secret":"tok"}\';;\n  broken.io) echo "keychain locked" >&2; exit 3;;\n' +
        '  *) echo "credentials not found in native keychain"; exit 1;;\nesac\n',
    );
    chmodSync(helper, 0o755);
    const env = { ...process.env, PATH: `${dir}:${process.env.PATH}` };
    writeFileSync(cfg, JSON.stringify({ credsStore: 't', credHelpers: { 'broken.io': 't' } }));
    assert.deepEqual(await lookupDockerCredentials(cfg, 'docker.io', { env }), {
      kind: 'identity-token',
      token: 'tok',
    });
    assert.equal(await lookupDockerCredentials(cfg, 'other.io', { env }), undefined);
    await assert.rejects(
      lookupDockerCredentials(cfg, 'broken.io', { env }),
      (e: unknown) =>
        e instanceof RegistryError &&
        e.message === 'credential helper docker-credential-t for broken.io: failed (keychain locked)',
    );
    // a global credsStore whose helper is not installed is ignored (anonymous), as a copied CI config often has one
    writeFileSync(cfg, JSON.stringify({ credsStore: 'not-installed', auths: { 'ghcr.io': { auth: b64('a:b') } } }));
    assert.deepEqual(await lookupDockerCredentials(cfg, 'ghcr.io', { env }), {
      kind: 'basic',
      username: 'a',
      password: 'b',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
