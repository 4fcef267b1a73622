// Credentials as Docker stores them: ~/.docker/config.json (`auths` with base64 `auth` or `identitytoken`,
// `credHelpers` per registry, `credsStore` for all) and `docker-credential-<name> get` helpers.
import { execFile, type ExecFileException } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, RegistryError, reasonOf } from '../../core/errors.ts';
import { isObject } from '../../core/json.ts';

export type Credentials =
  | { kind: 'basic'; username: string; password: string }
  /** an OAuth2 refresh token, exchanged at the token endpoint (Docker's `identitytoken`, helper `<token>` user) */
  | { kind: 'identity-token'; token: string }
  /** a registry access token, sent as `Authorization: Bearer TOKEN` as it is (Harbor hands one to its scanners) */
  | { kind: 'registry-token'; token: string };

/**
 * The docker config path Docker itself would use: `$DOCKER_CONFIG/config.json`, else `<home>/.docker/config.json`.
 * The CLI calls this with process.env and os.homedir(); library code never reads the environment.
 */
export function defaultDockerConfigPath(env: { DOCKER_CONFIG?: string }, homeDir: string): string {
  return env.DOCKER_CONFIG ? join(env.DOCKER_CONFIG, 'config.json') : join(homeDir, '.docker', 'config.json');
}

const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** The host a config key names: `https://index.docker.io/v1/` → `index.docker.io`, `http://h:5000` → `h:5000`. */
function keyHost(key: string): string {
  return key
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
}

function sameRegistry(key: string, registry: string): boolean {
  const a = keyHost(key);
  const b = registry.toLowerCase();
  return a === b || (HUB_ALIASES.has(a) && HUB_ALIASES.has(b));
}

export interface LookupOptions {
  signal?: AbortSignal;
  /** environment for credential helpers (PATH decides which helper runs); defaults to the inherited environment */
  env?: NodeJS.ProcessEnv;
}

/**
 * Credentials for `registry` (as in a reference: `docker.io`, `ghcr.io`, `127.0.0.1:5000`) from the docker config at
 * `configPath`, or undefined when there are none (a missing config file means none).
 */
export async function lookupDockerCredentials(
  configPath: string,
  registry: string,
  options: LookupOptions = {},
): Promise<Credentials | undefined> {
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InputError(`docker config ${configPath}: cannot read (${reasonOf(err)})`, { cause: err });
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (err) {
    throw new InputError(`docker config ${configPath}: not valid JSON (${reasonOf(err)})`, { cause: err });
  }
  if (!isObject(config)) throw new InputError(`docker config ${configPath}: not a JSON object`);
  const serverUrl = HUB_ALIASES.has(registry) ? DOCKER_HUB_KEY : registry;

  if (isObject(config.credHelpers)) {
    for (const [key, helper] of Object.entries(config.credHelpers)) {
      if (typeof helper === 'string' && helper !== '' && sameRegistry(key, registry)) {
        return await runCredentialHelper(helper, serverUrl, { ...options, required: true });
      }
    }
  }
  if (typeof config.credsStore === 'string' && config.credsStore !== '') {
    const fromStore = await runCredentialHelper(config.credsStore, serverUrl, { ...options, required: false });
    if (fromStore) return fromStore;
  }
  if (isObject(config.auths)) {
    for (const [key, entry] of Object.entries(config.auths)) {
      if (!isObject(entry) || !sameRegistry(key, registry)) continue;
      if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '')
        return { kind: 'identity-token', token: entry.identitytoken };
      if (typeof entry.auth === 'string' && entry.auth !== '') {
        const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon <= 0)
          throw new InputError(`docker config ${configPath}: auths["${key}"].auth is not base64 of user:password`);
        return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
      }
      if (typeof entry.username === 'string' && typeof entry.password === 'string') {
        return { kind: 'basic', username: entry.username, password: entry.password };
      }
    }
  }
  return undefined;
}

/**
 * Runs `docker-credential-<helper> get` with the server URL on stdin. "credentials not found" means none. A helper
 * named for this registry (credHelpers) must exist; the global credsStore may be absent (then: no credentials).
 */
export async function runCredentialHelper(
  helper: string,
  serverUrl: string,
  options: LookupOptions & { required: boolean },
): Promise<Credentials | undefined> {
  if (!/^[A-Za-z0-9._-]+$/.test(helper))
    throw new InputError(`docker config: invalid credential helper name ${JSON.stringify(helper)}`);
  const program = `docker-credential-${helper}`;
  const result = await new Promise<{
    code: number | string | null;
    stdout: string;
    stderr: string;
    error?: ExecFileException;
  }>((resolve) => {
    const child = execFile(
      program,
      ['get'],
      { signal: options.signal, timeout: 30_000, env: options.env, maxBuffer: 1 << 20 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr, error: error ?? undefined }),
    );
    child.stdin?.end(serverUrl);
  });
  if (result.error?.name === 'AbortError') throw result.error;
  if (result.code === 'ENOENT') {
    if (!options.required) return undefined;
    throw new RegistryError(`credential helper ${program} for ${serverUrl}: not found on PATH`, {
      cause: result.error,
    });
  }
  if (result.code !== 0) {
    const out = `${result.stdout} ${result.stderr}`.trim();
    if (/credentials not found/i.test(out)) return undefined;
    throw new RegistryError(
      `credential helper ${program} for ${serverUrl}: failed (${out.split('\n')[0] || `exit ${result.code}`})`,
      { cause: result.error },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.stdout);
  } catch (err) {
    throw new RegistryError(`credential helper ${program} for ${serverUrl}: output is not JSON`, { cause: err });
  }
  if (!isObject(parsed) || typeof parsed.Secret !== 'string') {
    throw new RegistryError(`credential helper ${program} for ${serverUrl}: output has no Secret`);
  }
  const username = typeof parsed.Username === 'string' ? parsed.Username : '';
  if (username === '<token>') return { kind: 'identity-token', token: parsed.Secret };
  return { kind: 'basic', username, password: parsed.Secret };
}
