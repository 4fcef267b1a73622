// `zerocve serve`, `zerocve worker`, `zerocve token`: the golden-image service, its workers and its API tokens.
import { UsageError } from '../../core/errors.ts';
import { openStore, ROLES, DEFAULT_JOB_LEASE_SECONDS, type ServiceStore, type Role } from '../../store/index.ts';
import {
  runService,
  startWorkers,
  startDbUpdates,
  admissionPolicyFrom,
  canBuildHere,
  type ScanEnvironment,
  type DbUpdateOptions,
} from '../../serve/index.ts';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { FlagSpec, FlagValues } from '../options.ts';
import { COMMON_FLAGS, IMAGE_FLAGS } from '../options.ts';
import { openImageOptions, cacheDirOf, createProgress, parseHours } from '../io.ts';
import { defaultCacheDir } from '../options.ts';
import { join } from 'node:path';
import { dbPathOf, repositoryUpdateOf, parseOrHelp as parse } from './common.ts';
import { EXIT } from '../exit.ts';
import type { Command } from './scan.ts';

const WHERE_FLAGS: Record<string, FlagSpec> = {
  data: { type: 'string', help: 'DIR: data folder of the embedded SQLite database (one process, a small team)' },
  database: {
    type: 'string',
    help: 'URL: postgres://… — PostgreSQL shared by the server and any number of `zerocve worker` processes',
  },
};
const STORE_FLAGS: Record<string, FlagSpec> = {
  ...WHERE_FLAGS,
  'job-lease': {
    type: 'string',
    help:
      'SECONDS: running jobs renew their lease every third of this; a job whose worker stopped renewing it ' +
      `(killed, hung) goes to another worker after this (default ${DEFAULT_JOB_LEASE_SECONDS})`,
  },
};

const JOB_FLAGS: Record<string, FlagSpec> = {
  ...COMMON_FLAGS,
  ...STORE_FLAGS,
  ...IMAGE_FLAGS,
  db: { type: 'string', help: 'FILE: the vulnerability database (default ~/.cache/zerocve/db/zerocve.db)' },
};

/** the vulnerability database kept fresh by the process itself */
const DB_UPDATE_FLAGS: Record<string, FlagSpec> = {
  'db-repository': {
    type: 'string',
    help:
      'REF: keep --db up to date by pulling what `zerocve db push` published there instead of fetching feeds ' +
      '(checked before each re-match check and each job when older than --db-max-age; env ZEROCVE_DB_REPOSITORY)',
  },
  'db-update-interval': {
    type: 'string',
    help:
      'SECONDS: how often this process updates the vulnerability database from the feeds itself (feeds older than ' +
      '--db-max-age; not with --db-repository); serve then re-matches at once on a change (default 3600; 0 never)',
  },
  'db-max-age': {
    type: 'string',
    help:
      'DURATION: a feed is fetched again, or --db-repository asked again, when last confirmed longer ago than this ' +
      '(default 24h)',
  },
  'db-base-url': {
    type: 'string',
    help: 'URL: mirror the database updates download the feeds from (same paths as db update --base-url)',
  },
  'skip-db-update': {
    type: 'boolean',
    help: 'never update the vulnerability database here (as --offline does); serve then only watches the --db file',
  },
};

const BUILD_WORKER_FLAGS: Record<string, FlagSpec> = {
  'can-build': {
    type: 'boolean',
    help: 'take build jobs (fresh builds of catalog images); default: when root with mmdebstrap on PATH',
  },
  'no-builds': { type: 'boolean', help: 'never take build jobs, even where builds could run' },
};

const WORKER_FLAGS: Record<string, FlagSpec> = {
  ...JOB_FLAGS,
  ...DB_UPDATE_FLAGS,
  ...BUILD_WORKER_FLAGS,
  concurrency: { type: 'string', help: 'N: jobs this process runs at once (default 1)' },
};

const SERVE_FLAGS: Record<string, FlagSpec> = {
  ...JOB_FLAGS,
  ...DB_UPDATE_FLAGS,
  ...BUILD_WORKER_FLAGS,
  'build-interval': {
    type: 'string',
    help:
      'SECONDS: how often to run `build --check` for every catalog entry with a build source and rebuild, scan ' +
      'and push what is stale (default 0: never; POST /api/v1/catalog/REPO/build asks for one)',
  },
  catalog: { type: 'string', help: 'FILE: catalog.yaml declaring the catalog; the service is kept in step with it' },
  listen: {
    type: 'string',
    help: 'ADDR: HOST:PORT where the HTTP API listens (default 127.0.0.1:8080; port 0 picks one)',
  },
  'anonymous-read': { type: 'boolean', help: 'allow GET requests without a token' },
  'max-body': { type: 'string', help: 'BYTES: largest request body accepted (default 1048576)' },
  'rate-limit': {
    type: 'string',
    help:
      'N: requests a second per token, or per client address without a token (default 50; 0 off); ' +
      'over it: 429 with Retry-After. Probes, /metrics, admission, Gatekeeper, Harbor and registry hooks are exempt',
  },
  'rate-burst': {
    type: 'string',
    help: 'N: requests a client may make at once after being idle (default 2 × --rate-limit)',
  },
  workers: {
    type: 'string',
    help: 'N: workers inside the server process (default 1; 0 with --database leaves jobs to `zerocve worker`)',
  },
  'rematch-interval': {
    type: 'string',
    help: 'SECONDS: how often to look for a new vulnerability database and re-match stored inventories (default 300)',
  },
  'follow-interval': {
    type: 'string',
    help:
      "SECONDS: how often to resolve every catalog entry's followed tags with conditional manifest requests; " +
      'a tag that moved has its new digest scanned (default 300; 0 never)',
  },
  'scan-interval': { type: 'string', help: 'SECONDS: the former name of --follow-interval' },
  'registry-rps': {
    type: 'string',
    help: 'N: manifest requests per second to one registry when following tags (default 2; e.g. 0.2)',
  },
  webhook: {
    type: 'string',
    multiple: true,
    help: "URL: POST each image's changes as JSON, signed with --webhook-secret",
  },
  'webhook-secret': {
    type: 'string',
    help: 'SECRET: HMAC-SHA256 key of the X-Zerocve-Signature-256 header (env ZEROCVE_WEBHOOK_SECRET)',
  },
  'slack-webhook': {
    type: 'string',
    multiple: true,
    help: 'URL: a Slack incoming webhook told of changes',
  },
  'public-url': { type: 'string', help: 'URL: base URL of the service in published documents (OpenVEX @id)' },
  'hook-secret': {
    type: 'string',
    help:
      'SECRET: turns on POST /hooks/registry (scan on push); ' +
      'senders send "Authorization: Bearer SECRET" (env ZEROCVE_HOOK_SECRET)',
  },
  'scan-all-pushes': { type: 'boolean', help: 'scan pushes of every repository, not only of catalog repositories' },
  'admission-policy': {
    type: 'string',
    help:
      'FILE: YAML policy of POST /admission/validate and POST /gatekeeper/provide ' +
      '(default: catalog pass, deny unknown)',
  },
  'admission-lookup-timeout': {
    type: 'string',
    help:
      'SECONDS: admission and Gatekeeper ask the registry what digest a tag never seen points at, waiting at most ' +
      'this long (default 2; 0: never ask, such tags are unknown); keep it below the webhook timeoutSeconds',
  },
  'tls-cert': { type: 'string', help: 'FILE: PEM certificate (chain): serve HTTPS (needs --tls-key)' },
  'tls-key': { type: 'string', help: 'FILE: PEM private key of --tls-cert' },
};

const TOKEN_FLAGS: Record<string, FlagSpec> = {
  ...COMMON_FLAGS,
  ...WHERE_FLAGS,
  role: { type: 'string', help: `ROLE: ${ROLES.join(', ')} (default reader)` },
};

/** requests a second per client: far above a person or a dashboard, far below a runaway script */
const DEFAULT_RATE_LIMIT = 50;

function count(values: FlagValues, flag: string, dflt: number, min = 0): number {
  const v = values[flag];
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !/^\d+$/.test(v) || Number(v) < min)
    throw new UsageError(`--${flag} must be a whole number${min ? ` of at least ${min}` : ''}, got '${String(v)}'`);
  return Number(v);
}

function rateLimitOf(values: FlagValues): { perSecond: number; burst: number } | undefined {
  const perSecond = count(values, 'rate-limit', DEFAULT_RATE_LIMIT);
  if (perSecond === 0) {
    if (values['rate-burst'] !== undefined) throw new UsageError('--rate-burst needs a --rate-limit above 0');
    return undefined;
  }
  return { perSecond, burst: count(values, 'rate-burst', perSecond * 2, 1) };
}

async function storeOf(values: FlagValues, supervise = true): Promise<ServiceStore> {
  return openStore({
    data: values.data as string | undefined,
    database: (values.database as string | undefined) ?? process.env.ZEROCVE_DATABASE_URL,
    jobLeaseSeconds: count(values, 'job-lease', DEFAULT_JOB_LEASE_SECONDS, 1),
    supervise,
  });
}

function envOf(values: FlagValues): ScanEnvironment {
  const repository = values['db-repository'] as string | undefined;
  const maxAge = values['db-max-age'] === undefined ? 24 : parseHours(values['db-max-age'] as string, '--db-max-age');
  return {
    dbPath: dbPathOf(values, process.env),
    cacheDir: cacheDirOf(values, process.env),
    open: openImageOptions(values, process.env),
    ...(repository && values.offline !== true
      ? {
          dbRepository: repositoryUpdateOf(repository, values, process.env, createProgress(false), maxAge),
          onDbWarning: (m: string) => log(values, `warning: ${m}`),
        }
      : {}),
  };
}

function readAdmissionPolicy(file: string) {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --admission-policy ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new UsageError(`--admission-policy ${file} is not YAML: ${(err as Error).message}`);
  }
  try {
    return admissionPolicyFrom(doc, file);
  } catch (err) {
    throw new UsageError(`--admission-policy ${(err as Error).message}`);
  }
}

function rateOf(values: FlagValues, flag: string, dflt: number): number {
  const v = values[flag];
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !/^\d+(\.\d+)?$/.test(v) || Number(v) <= 0)
    throw new UsageError(`--${flag} must be a number above 0, got '${String(v)}'`);
  return Number(v);
}

/**
 * the service's own database updates from the feeds: on unless --db-repository, --offline, --skip-db-update or
 * --db-update-interval 0
 */
function dbUpdateOf(values: FlagValues): DbUpdateOptions | undefined {
  const intervalSeconds = count(values, 'db-update-interval', 3600);
  const maxAgeHours =
    values['db-max-age'] === undefined ? 24 : parseHours(values['db-max-age'] as string, '--db-max-age');
  // a database repository replaces the feeds: the database is pulled (envOf), never built here
  if (values['db-repository'] !== undefined) return undefined;
  if (values.offline === true || values['skip-db-update'] === true || intervalSeconds === 0) return undefined;
  return {
    intervalSeconds,
    maxAgeHours,
    cacheDir: join((values['cache-dir'] as string | undefined) ?? defaultCacheDir(process.env), 'feeds'),
    baseUrl: values['db-base-url'] as string | undefined,
  };
}

/** --can-build (demanded), --no-builds (refused), else detected: root with mmdebstrap on PATH */
function canBuildOf(values: FlagValues): boolean {
  if (values['can-build'] === true && values['no-builds'] === true)
    throw new UsageError('give --can-build or --no-builds, not both');
  if (values['no-builds'] === true) return false;
  const here = canBuildHere(process.env);
  if (values['can-build'] === true && !here)
    throw new UsageError('--can-build: builds need root and mmdebstrap on PATH (apt-get install mmdebstrap)');
  return here;
}

const log = (values: FlagValues, message: string): void => {
  if (!values.quiet) process.stderr.write(`zerocve: ${message}\n`);
};

/** Resolves on SIGINT or SIGTERM (graceful shutdown). */
const untilSignal = (): Promise<string> =>
  new Promise((resolve) => {
    const on = (sig: string) => () => resolve(sig);
    process.once('SIGINT', on('SIGINT'));
    process.once('SIGTERM', on('SIGTERM'));
  });

export const serve: Command = {
  async run(args) {
    const p = parse(
      'serve',
      '[--data DIR | --database postgres://…] [flags]',
      'Run the service. With --data it runs everything in one process on an embedded SQLite database; with\n' +
        '--database it shares PostgreSQL with any number of `zerocve worker` processes. Stops gracefully ' +
        'on SIGINT/SIGTERM.',
      SERVE_FLAGS,
      args,
      0,
    );
    if (typeof p === 'number') return p;
    const { values } = p;
    const workers = count(values, 'workers', 1);
    const listen = (values.listen as string | undefined) ?? '127.0.0.1:8080';
    const webhooks = (values.webhook as string[] | undefined) ?? [];
    const secret = values['webhook-secret'] as string | undefined;
    if (webhooks.length && !secret) throw new UsageError('--webhook needs --webhook-secret (the signature key)');
    for (const u of [...webhooks, ...((values['slack-webhook'] as string[] | undefined) ?? [])])
      if (!/^https?:\/\/\S+$/.test(u)) throw new UsageError(`webhook URL must be http(s)://…, got '${u}'`);
    const notify = [
      ...webhooks.map((url) => ({ kind: 'webhook' as const, url, secret })),
      ...((values['slack-webhook'] as string[] | undefined) ?? []).map((url) => ({ kind: 'slack' as const, url })),
    ];
    const tlsCert = values['tls-cert'] as string | undefined;
    const tlsKey = values['tls-key'] as string | undefined;
    if (!tlsCert !== !tlsKey) throw new UsageError('--tls-cert and --tls-key go together');
    const policyFile = values['admission-policy'] as string | undefined;
    const admissionPolicy = policyFile ? readAdmissionPolicy(policyFile) : undefined;
    const lookupText = (values['admission-lookup-timeout'] as string | undefined) ?? '2';
    if (!/^\d+(\.\d+)?$/.test(lookupText) || Number(lookupText) >= 10)
      throw new UsageError(
        `--admission-lookup-timeout must be a number of seconds below 10 (Kubernetes' default webhook timeout), ` +
          `got '${lookupText}'`,
      );
    const hookSecret = (values['hook-secret'] as string | undefined) ?? process.env.ZEROCVE_HOOK_SECRET;
    const canBuild = workers > 0 && canBuildOf(values);
    const buildInterval = count(values, 'build-interval', 0);
    const store = await storeOf(values);
    try {
      const service = await runService(store, envOf(values), {
        listen,
        catalog: values.catalog as string | undefined,
        anonymousRead: values['anonymous-read'] === true,
        maxBodyBytes: count(values, 'max-body', 1024 * 1024, 1),
        rateLimit: rateLimitOf(values),
        publicUrl: values['public-url'] as string | undefined,
        hookSecret: hookSecret || undefined,
        scanAllPushes: values['scan-all-pushes'] === true,
        admissionPolicy,
        admissionLookupTimeoutMs: Math.round(Number(lookupText) * 1000),
        tls: tlsCert && tlsKey ? { cert: tlsCert, key: tlsKey } : undefined,
        workers,
        notify,
        rematchIntervalSeconds: count(values, 'rematch-interval', 300, 1),
        followIntervalSeconds:
          values['follow-interval'] === undefined && values['scan-interval'] !== undefined
            ? count(values, 'scan-interval', 300)
            : count(values, 'follow-interval', 300),
        registryRps: rateOf(values, 'registry-rps', 2),
        dbUpdate: dbUpdateOf(values),
        buildIntervalSeconds: buildInterval,
        canBuild,
        onError: (err) => log(values, `error: ${(err as Error)?.message ?? String(err)}`),
        onInfo: (m) => log(values, m),
        onEvents: (events) =>
          log(values, `${events.length} new event(s) for ${events[0].repository ?? events[0].digest}`),
      });
      process.stdout.write(
        `zerocve serve: listening on ${service.url} (${store.kind} store, ${workers} worker(s)` +
          `${canBuild ? ', builds' : ''})\n`,
      );
      if (buildInterval > 0 && !canBuild)
        log(values, 'build jobs wait for a `zerocve worker` that can build (root and mmdebstrap): none runs here');
      const sig = await untilSignal();
      log(values, `${sig}: stopping (running jobs finish first)`);
      await service.stop();
    } finally {
      await store.close();
    }
    return EXIT.ok;
  },
};

export const worker: Command = {
  async run(args) {
    const p = parse(
      'worker',
      '--database postgres://… [flags]',
      'Take scan and re-match jobs (and build jobs where it can build) from the queue in PostgreSQL (or a\n' +
        '--data folder) until SIGINT/SIGTERM.\n' +
        'A worker killed mid-job loses nothing: when its lease runs out another worker takes the job.',
      WORKER_FLAGS,
      args,
      0,
    );
    if (typeof p === 'number') return p;
    const { values } = p;
    const canBuild = canBuildOf(values);
    const store = await storeOf(values);
    const env = envOf(values);
    const dbUpdate = dbUpdateOf(values);
    const updates = dbUpdate
      ? startDbUpdates(env, dbUpdate, {
          onInfo: (m) => log(values, m),
          onError: (err) => log(values, `error: ${(err as Error)?.message ?? String(err)}`),
        })
      : undefined;
    try {
      const w = await startWorkers(
        { store, env, onInfo: (m) => log(values, m) },
        {
          concurrency: count(values, 'concurrency', 1, 1),
          canBuild,
          onError: (err) => log(values, `job failed: ${(err as Error)?.message ?? String(err)}`),
        },
      );
      process.stdout.write(`zerocve worker: ready (${store.kind} store${canBuild ? ', takes build jobs' : ''})\n`);
      const sig = await untilSignal();
      log(values, `${sig}: stopping (running jobs finish first)`);
      await w.stop();
    } finally {
      await updates?.stop();
      await store.close();
    }
    return EXIT.ok;
  },
};

export const token: Command = {
  async run(args) {
    const p = parse(
      'token',
      'NAME [--role ROLE] [--data DIR | --database postgres://…]',
      'Create a bearer token for the service API. The secret is printed once; only its hash is stored.',
      TOKEN_FLAGS,
      args,
      1,
      'NAME',
    );
    if (typeof p === 'number') return p;
    const role = (p.values.role as string | undefined) ?? 'reader';
    if (!(ROLES as readonly string[]).includes(role))
      throw new UsageError(`--role must be one of ${ROLES.join(', ')}, got '${role}'`);
    const store = await storeOf(p.values, false);
    try {
      const { secret } = await store.createToken(p.positionals[0], role as Role);
      await store.audit({ actor: 'cli', action: 'token.create', target: p.positionals[0], detail: { role } });
      process.stdout.write(`${secret}\n`);
    } finally {
      await store.close();
    }
    return EXIT.ok;
  },
};
