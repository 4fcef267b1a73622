// `zerocve serve`, `zerocve worker`, `zerocve token`: the golden-image service, its workers and its API tokens.
import { UsageError } from '../../core/errors.ts';
import { openStore, ROLES, DEFAULT_JOB_LEASE_SECONDS, type ServiceStore, type Role } from '../../store/index.ts';
import { runService, startWorkers, admissionPolicyFrom, type ScanEnvironment } from '../../serve/index.ts';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { FlagSpec, FlagValues } from '../options.ts';
import { COMMON_FLAGS, IMAGE_FLAGS } from '../options.ts';
import { openImageOptions, cacheDirOf, createProgress, parseHours } from '../io.ts';
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
    help: `SECONDS: a job not finished within this time goes to another worker (default ${DEFAULT_JOB_LEASE_SECONDS})`,
  },
};

const JOB_FLAGS: Record<string, FlagSpec> = {
  ...COMMON_FLAGS,
  ...STORE_FLAGS,
  ...IMAGE_FLAGS,
  db: { type: 'string', help: 'FILE: the vulnerability database (default ~/.cache/zerocve/db/zerocve.db)' },
  'db-repository': {
    type: 'string',
    help:
      'REF: keep --db up to date by pulling what `zerocve db push` published there (checked when older than ' +
      '--db-max-age; env ZEROCVE_DB_REPOSITORY)',
  },
  'db-max-age': { type: 'string', help: 'DURATION: with --db-repository, how old --db may get, e.g. 6h (default 24h)' },
};

const WORKER_FLAGS: Record<string, FlagSpec> = {
  ...JOB_FLAGS,
  concurrency: { type: 'string', help: 'N: jobs this process runs at once (default 1)' },
};

const SERVE_FLAGS: Record<string, FlagSpec> = {
  ...JOB_FLAGS,
  catalog: { type: 'string', help: 'FILE: catalog.yaml declaring the catalog; the service is kept in step with it' },
  listen: {
    type: 'string',
    help: 'ADDR: HOST:PORT where the HTTP API listens (default 127.0.0.1:8080; port 0 picks one)',
  },
  'anonymous-read': { type: 'boolean', help: 'allow GET requests without a token' },
  'max-body': { type: 'string', help: 'BYTES: largest request body accepted (default 1048576)' },
  workers: {
    type: 'string',
    help: 'N: workers inside the server process (default 1; 0 with --database leaves jobs to `zerocve worker`)',
  },
  'rematch-interval': {
    type: 'string',
    help: 'SECONDS: how often to look for a new vulnerability database and re-match stored inventories (default 300)',
  },
  'scan-interval': {
    type: 'string',
    help: "SECONDS: how often to scan every catalog entry's followed tags (default 3600; 0 never)",
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
  'tls-cert': { type: 'string', help: 'FILE: PEM certificate (chain): serve HTTPS (needs --tls-key)' },
  'tls-key': { type: 'string', help: 'FILE: PEM private key of --tls-cert' },
};

const TOKEN_FLAGS: Record<string, FlagSpec> = {
  ...COMMON_FLAGS,
  ...WHERE_FLAGS,
  role: { type: 'string', help: `ROLE: ${ROLES.join(', ')} (default reader)` },
};

function count(values: FlagValues, flag: string, dflt: number, min = 0): number {
  const v = values[flag];
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !/^\d+$/.test(v) || Number(v) < min)
    throw new UsageError(`--${flag} must be a whole number${min ? ` of at least ${min}` : ''}, got '${String(v)}'`);
  return Number(v);
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
  summary: 'run the golden-image service: catalog, continuous re-scan, events, triage, HTTP API',
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
    const hookSecret = (values['hook-secret'] as string | undefined) ?? process.env.ZEROCVE_HOOK_SECRET;
    const store = await storeOf(values);
    try {
      const service = await runService(store, envOf(values), {
        listen,
        catalog: values.catalog as string | undefined,
        anonymousRead: values['anonymous-read'] === true,
        maxBodyBytes: count(values, 'max-body', 1024 * 1024, 1),
        publicUrl: values['public-url'] as string | undefined,
        hookSecret: hookSecret || undefined,
        scanAllPushes: values['scan-all-pushes'] === true,
        admissionPolicy,
        tls: tlsCert && tlsKey ? { cert: tlsCert, key: tlsKey } : undefined,
        workers,
        notify,
        rematchIntervalSeconds: count(values, 'rematch-interval', 300, 1),
        scanIntervalSeconds: count(values, 'scan-interval', 3600),
        onError: (err) => log(values, `error: ${(err as Error)?.message ?? String(err)}`),
        onInfo: (m) => log(values, m),
        onEvents: (events) =>
          log(values, `${events.length} new event(s) for ${events[0].repository ?? events[0].digest}`),
      });
      process.stdout.write(`zerocve serve: listening on ${service.url} (${store.kind} store, ${workers} worker(s))\n`);
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
  summary: "run jobs (scans, re-matches) from the service's queue",
  async run(args) {
    const p = parse(
      'worker',
      '--database postgres://… [flags]',
      'Take scan and re-match jobs from the queue in PostgreSQL (or a --data folder) until SIGINT/SIGTERM.\n' +
        'A worker killed mid-job loses nothing: when its lease runs out another worker takes the job.',
      WORKER_FLAGS,
      args,
      0,
    );
    if (typeof p === 'number') return p;
    const { values } = p;
    const store = await storeOf(values);
    try {
      const w = await startWorkers(
        { store, env: envOf(values) },
        {
          concurrency: count(values, 'concurrency', 1, 1),
          onError: (err) => log(values, `job failed: ${(err as Error)?.message ?? String(err)}`),
        },
      );
      process.stdout.write(`zerocve worker: ready (${store.kind} store)\n`);
      const sig = await untilSignal();
      log(values, `${sig}: stopping (running jobs finish first)`);
      await w.stop();
    } finally {
      await store.close();
    }
    return EXIT.ok;
  },
};

export const token: Command = {
  summary: 'create an API token for `zerocve serve` (printed once; stored hashed)',
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
