// `zerocve db update|import|status`: the local vulnerability database.
import { join, dirname } from 'node:path';
import { UsageError } from '../../core/errors.ts';
import {
  updateDb,
  importSources,
  dbStatus,
  SOURCE_KINDS,
  DEFAULT_OSV_ECOSYSTEMS,
  type SourceKind,
} from '../../vulndb/index.ts';
import { formatBytes } from '../../report/index.ts';
import type { FlagSpec } from '../options.ts';
import { COMMON_FLAGS, IMAGE_FLAGS, parseCommand, helpText, defaultCacheDir } from '../options.ts';
import { createProgress, openImageOptions } from '../io.ts';
import { pushDb, pullDb, ensureDbFromRepository } from '../../app/index.ts';
import { dbPathOf, repositoryUpdateOf } from './common.ts';
import { EXIT } from '../exit.ts';
import type { Command } from './scan.ts';

const DB_FLAGS: Record<string, FlagSpec> = {
  ...COMMON_FLAGS,
  db: { type: 'string', help: 'FILE: the database (default ~/.cache/zerocve/db/zerocve.db)' },
  format: { type: 'string', short: 'f', help: 'FORMAT: table or json (status, import, update summaries)' },
};
const UPDATE_FLAGS: Record<string, FlagSpec> = {
  ...DB_FLAGS,
  'base-url': {
    type: 'string',
    help: 'URL: mirror serving the same paths as the upstream feeds (air-gapped mirrors, tests)',
  },
  ecosystem: {
    type: 'string',
    multiple: true,
    help: `LIST: OSV ecosystems to download (default ${DEFAULT_OSV_ECOSYSTEMS.join(',')})`,
  },
  'cache-dir': {
    type: 'string',
    help: 'DIR: where downloads are kept for conditional and resumed requests (default ~/.cache/zerocve)',
  },
  offline: { type: 'boolean', help: 'refuse to download (use db import)' },
  'db-repository': {
    type: 'string',
    help:
      'REF: pull the database published there by `db push` when it is newer than the local one, instead of ' +
      'downloading the feeds (env ZEROCVE_DB_REPOSITORY)',
  },
  insecure: IMAGE_FLAGS.insecure,
  username: IMAGE_FLAGS.username,
  password: IMAGE_FLAGS.password,
};
const IMPORT_FLAGS: Record<string, FlagSpec> = {
  ...DB_FLAGS,
  kind: { type: 'string', help: `KIND: ${SOURCE_KINDS.join(', ')} (default: detected from each input's content)` },
};

const ARTIFACT_FLAGS: Record<string, FlagSpec> = {
  ...DB_FLAGS,
  insecure: IMAGE_FLAGS.insecure,
  username: IMAGE_FLAGS.username,
  password: IMAGE_FLAGS.password,
};

const SUB = 'update | import PATH… | status | push REF | pull REF';

export const db: Command = {
  async run(args) {
    const [sub, ...rest] = args;
    if (!sub || sub === '--help' || sub === '-h') {
      process.stdout.write(
        `usage: zerocve db ${SUB}\n\n  update   download OSV, Debian tracker, NVD, KEV and EPSS feeds ` +
          `(conditional, resumable) and rebuild atomically\n` +
          `  import   import offline copies: OSV dirs/zips (incl. osv.dev all.zip), Debian tracker JSON, ` +
          `NVD 2.0, KEV, EPSS, Alpine/Wolfi secdb\n  status   sources, counts and age\n` +
          `  push     publish the database to a registry as an OCI artifact (gzip layer, metadata as ` +
          `annotations)\n  pull     fetch a pushed database: verify digest and schema version, swap in ` +
          `atomically\n`,
      );
      return sub ? EXIT.ok : EXIT.usage;
    }
    const flags =
      sub === 'update'
        ? UPDATE_FLAGS
        : sub === 'import'
          ? IMPORT_FLAGS
          : sub === 'status'
            ? DB_FLAGS
            : sub === 'push' || sub === 'pull'
              ? ARTIFACT_FLAGS
              : undefined;
    if (!flags) throw new UsageError(`db: unknown subcommand '${sub}' (expected ${SUB})`);
    const { values, positionals } = parseCommand(rest, flags, process.env, process.cwd(), `db ${sub}`);
    if (values.help) {
      process.stdout.write(
        helpText(
          `db ${sub}`,
          sub === 'import' ? 'PATH… [flags]' : sub === 'push' || sub === 'pull' ? 'REF [flags]' : '[flags]',
          'Manage the local vulnerability database.',
          flags,
        ),
      );
      return EXIT.ok;
    }
    const path = dbPathOf(values, process.env);
    const json = values.format === 'json';
    if (values.format !== undefined && values.format !== 'json' && values.format !== 'table')
      throw new UsageError(`db ${sub}: --format must be table or json`);
    const progress = createProgress(values.quiet !== true);
    if (sub === 'status') {
      if (positionals.length) throw new UsageError('db status takes no arguments');
      const st = dbStatus(path);
      if (json) {
        process.stdout.write(JSON.stringify(st, null, 2) + '\n');
        return EXIT.ok;
      }
      const age =
        st.ageHours !== undefined ? ` (${st.ageHours} h ago${st.stale ? ', STALE: run zerocve db update' : ''})` : '';
      const lines = [
        `Database  ${st.path}`,
        `Schema    ${st.schemaVersion}`,
        `Built     ${st.builtAt ?? 'unknown'}${age}`,
        `Totals    ${st.advisories} advisories, ${st.affected} affected packages, ${st.enrichments} CVE enrichments`,
        '',
        'Sources',
      ];
      const width = Math.max(24, ...st.sources.map((s) => s.name.length));
      for (const s of st.sources)
        lines.push(
          `  ${s.name.padEnd(width)} ${String(s.advisories).padStart(7)} advisories  ` +
            `${String(s.affected).padStart(7)} affected  snapshot ${s.snapshot ?? '?'}  imported ` +
            `${s.importedAt}`,
        );
      process.stdout.write(lines.join('\n') + '\n');
      return EXIT.ok;
    }
    if (sub === 'push' || sub === 'pull') {
      if (positionals.length !== 1)
        throw new UsageError(`db ${sub} takes one registry reference, e.g. registry.example.com/security/zerocve-db:1`);
      const io = openImageOptions(values, process.env);
      const opts = { insecure: io.insecure, auth: io.auth, dockerConfigPath: io.dockerConfigPath };
      if (sub === 'push') {
        const r = await pushDb(path, positionals[0], opts);
        if (json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
        else
          process.stdout.write(
            `pushed ${path} (${(r.databaseBytes / 1e6).toFixed(1)} MB, ${(r.layer.size / 1e6).toFixed(1)} ` +
              `MB compressed) to ${r.reference}@${r.digest}\n`,
          );
        return EXIT.ok;
      }
      let r;
      try {
        r = await pullDb(path, positionals[0], {
          ...opts,
          onWait: (h) => progress.update(`zerocve: waiting for process ${h.pid} updating ${path}`),
          onProgress: (p) =>
            progress.update(`zerocve: pull ${positionals[0]} ${formatBytes(p.bytes)} of ${formatBytes(p.total)}`),
        });
      } finally {
        progress.done();
      }
      if (json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
      else
        process.stdout.write(
          `pulled ${r.reference} (${r.digest}, schema ${r.schemaVersion}, built ${r.builtAt ?? 'unknown'}) ` +
            `into ${path}\n`,
        );
      return EXIT.ok;
    }
    if (sub === 'import') {
      if (!positionals.length)
        throw new UsageError('db import: name at least one file, directory or zip (zerocve db import --help)');
      const kind = values.kind as string | undefined;
      if (kind && !(SOURCE_KINDS as readonly string[]).includes(kind))
        throw new UsageError(`db import: unknown --kind '${kind}' (expected ${SOURCE_KINDS.join(', ')})`);
      let summary;
      try {
        summary = await importSources(
          path,
          positionals.map((p) => ({ path: p, kind: kind as SourceKind | undefined })),
          {
            onProgress: (e) => progress.update(`zerocve: importing ${e.source}: ${e.records} records`),
            onWait: (h) => progress.update(`zerocve: waiting for process ${h.pid} updating ${path}`),
          },
        );
      } finally {
        progress.done();
      }
      if (json) {
        process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
        return EXIT.ok;
      }
      for (const s of summary.sources) {
        process.stdout.write(
          `imported ${s.source} (${s.kind}) from ${s.input}: ${s.advisories} advisories, ${s.affected} ` +
            `affected, ${s.enrichments} enrichments` +
            `${s.problemCount ? `, ${s.problemCount} problem(s)` : ''}\n`,
        );
        for (const pr of s.problems.slice(0, 10)) process.stderr.write(`zerocve: warning: ${pr.path}: ${pr.message}\n`);
      }
      for (const w of summary.warnings) process.stderr.write(`zerocve: warning: ${w}\n`);
      process.stdout.write(
        `database ${summary.dbPath} built at ${summary.builtAt} in ${(summary.durationMs / 1000).toFixed(1)} s\n`,
      );
      return EXIT.ok;
    }
    // update
    if (positionals.length) throw new UsageError('db update takes no arguments (use db import PATH for files)');
    if (values.offline)
      throw new UsageError('db update: --offline forbids downloads; use `zerocve db import PATH…` with offline copies');
    const repository = values['db-repository'] as string | undefined;
    if (repository) {
      if (values['base-url'] !== undefined || values.ecosystem !== undefined)
        throw new UsageError(
          'db update: --db-repository pulls a database built elsewhere; --base-url and --ecosystem are for feeds',
        );
      let r;
      try {
        r = await ensureDbFromRepository(path, repository, {
          ...repositoryUpdateOf(repository, values, process.env, progress, 0),
          strict: true,
        });
      } finally {
        progress.done();
      }
      if (json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
      else if (r.pulled)
        process.stdout.write(
          `pulled ${r.pulled.reference} (${r.pulled.digest}, built ${r.pulled.builtAt ?? 'unknown'}) into ${path}\n`,
        );
      else
        process.stdout.write(
          `database ${path} unchanged: ${repository} holds nothing newer (built ${r.remote?.builtAt ?? 'unknown'})\n`,
        );
      return EXIT.ok;
    }
    const cacheDir = join((values['cache-dir'] as string | undefined) ?? defaultCacheDir(process.env), 'feeds');
    let summary;
    try {
      summary = await updateDb(path, {
        cacheDir,
        baseUrl: values['base-url'] as string | undefined,
        osvEcosystems: (values.ecosystem as string[] | undefined)?.flatMap((e) => e.split(',')).filter(Boolean),
        onWait: (h) => progress.update(`zerocve: waiting for process ${h.pid} updating ${path}`),
        onProgress: (e) =>
          progress.update(
            `zerocve: ${e.phase} ${e.source}${e.bytes ? ` ${formatBytes(e.bytes)}` : ''}` +
              `${e.records ? ` ${e.records} records` : ''}`,
          ),
      });
    } finally {
      progress.done();
    }
    if (json) {
      process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
      return EXIT.ok;
    }
    for (const f of summary.feeds)
      process.stdout.write(
        `${f.name}: ${f.status}` +
          `${f.changes ? ` (${f.changes.fetched} records fetched, ${f.changes.removed} removed)` : ''} (` +
          `${formatBytes(f.bytes)}) ${f.url}\n`,
      );
    process.stdout.write(
      `database ${path} ` +
        `${summary.import ? `rebuilt at ${summary.import.builtAt}` : 'unchanged: every feed was current'} ` +
        `(${dirname(path)})\n`,
    );
    return EXIT.ok;
  },
};
