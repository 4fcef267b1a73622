// One test suite for every ServiceStore implementation (hono's common-case style): the SQLite and PostgreSQL
// test files call runStoreSuite with a function that opens a fresh store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceStore, JobRecord } from './types.ts';
import { workerJobNames } from './types.ts';
import type { Finding } from '../core/finding.ts';

export interface SuiteOptions {
  /** opens a fresh, empty store; a second call with reopen: true opens the same one again */
  open(reopen?: boolean, options?: { jobLeaseSeconds?: number }): Promise<ServiceStore>;
}

export const finding = (id: string, severity: Finding['severity'] = 'high', fixed: string[] = []): Finding => ({
  id,
  aliases: [],
  package: {
    id: 'p1',
    type: 'deb',
    name: 'openssl',
    version: '3.0.1-1',
    purl: 'pkg:deb/debian/openssl@3.0.1-1',
    locations: [],
  },
  installedVersion: '3.0.1-1',
  fixedVersions: fixed,
  fixState: fixed.length ? 'fixed' : 'not-fixed',
  severity,
  severitySource: 'vendor:debian',
  cvss: [],
  kev: false,
  references: [],
  evidence: [],
  kind: 'vulnerability',
});

const until = async <T>(f: () => Promise<T | undefined>, what: string, ms = 20000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

export function runStoreSuite(kind: string, options: SuiteOptions): void {
  test(`${kind}: migrations apply once and the store reopens`, async () => {
    const s = await options.open();
    assert.ok((await s.schemaVersion()) >= 1);
    await s.ping();
    await s.putCatalog({ repository: 'r.example/a', tier: 'golden', policy: {}, tags: ['latest'] });
    await s.close();
    const again = await options.open(true);
    try {
      assert.equal((await again.listCatalog()).length, 1, 'data survives a reopen; migrations are not re-run');
    } finally {
      await again.close();
    }
  });

  test(`${kind}: catalog entries are put, updated, listed and deleted`, async () => {
    const s = await options.open();
    try {
      const e = await s.putCatalog({
        repository: 'r.example/ml/torch',
        tier: 'candidate',
        owner: 'platform',
        description: 'PyTorch CPU',
        policy: { failOn: 'high', ignore: [{ id: 'CVE-2024-1' }], vex: ['https://x/vex.json'] },
        tags: ['2.4', 'latest'],
      });
      assert.equal(e.tier, 'candidate');
      await s.putCatalog({ ...e, tier: 'deprecated', replacement: 'r.example/ml/torch2' });
      await s.putCatalog({ repository: 'r.example/a', tier: 'golden', policy: {}, tags: [] });
      const got = await s.getCatalog('r.example/ml/torch');
      assert.equal(got?.tier, 'deprecated');
      assert.equal(got?.replacement, 'r.example/ml/torch2');
      assert.deepEqual(got?.policy, { failOn: 'high', ignore: [{ id: 'CVE-2024-1' }], vex: ['https://x/vex.json'] });
      assert.deepEqual(got?.tags, ['2.4', 'latest']);
      assert.deepEqual(
        (await s.listCatalog()).map((c) => c.repository),
        ['r.example/a', 'r.example/ml/torch'],
      );
      assert.equal(await s.deleteCatalog('r.example/a'), true);
      assert.equal(await s.deleteCatalog('r.example/a'), false);
      assert.equal(await s.getCatalog('r.example/a'), undefined);
    } finally {
      await s.close();
    }
  });

  test(`${kind}: tags keep their digest history`, async () => {
    const s = await options.open();
    try {
      assert.deepEqual(await s.recordTag({ repository: 'r/a', tag: 'latest', digest: 'sha256:1' }), { changed: true });
      assert.deepEqual(await s.recordTag({ repository: 'r/a', tag: 'latest', digest: 'sha256:1' }), { changed: false });
      await s.recordTag({ repository: 'r/a', tag: 'latest', digest: 'sha256:2' });
      await s.recordTag({ repository: 'r/a', tag: 'v1', digest: 'sha256:1' });
      assert.deepEqual(
        (await s.tagHistory('r/a', 'latest')).map((t) => t.digest),
        ['sha256:2', 'sha256:1'],
      );
      assert.equal((await s.tagHistory('r/a')).length, 3);
      // the followed tag's head: where it points and the validator to send next time
      assert.equal(await s.getTagHead('r/a', 'latest'), undefined);
      assert.deepEqual(await s.putTagHead({ repository: 'r/a', tag: 'latest', digest: 'sha256:1', etag: '"e1"' }), {
        changed: true,
      });
      const first = (await s.getTagHead('r/a', 'latest'))!;
      assert.equal(first.etag, '"e1"');
      await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(await s.putTagHead({ repository: 'r/a', tag: 'latest', digest: 'sha256:1', etag: '"e1"' }), {
        changed: false,
      });
      const same = (await s.getTagHead('r/a', 'latest'))!;
      assert.equal(same.changedAt, first.changedAt, 'confirming a digest does not move changedAt');
      assert.ok(same.checkedAt > first.checkedAt);
      assert.deepEqual(await s.putTagHead({ repository: 'r/a', tag: 'latest', digest: 'sha256:2' }), { changed: true });
      const moved = (await s.getTagHead('r/a', 'latest'))!;
      assert.deepEqual([moved.digest, moved.etag], ['sha256:2', undefined]);
      assert.ok(moved.changedAt > first.changedAt);
    } finally {
      await s.close();
    }
  });

  test(`${kind}: a digest's inventory and SBOM are stored once; results once per key`, async () => {
    const s = await options.open();
    try {
      const d = {
        digest: 'sha256:aa',
        analyzerVersion: 'zerocve 0.1.0',
        target: 'r/a:latest',
        repository: 'r/a',
        inventory: { packages: [], models: [], problems: [] },
        analysis: { sections: { secrets: [] } },
        image: { configDigest: 'sha256:cc' },
      };
      assert.deepEqual(await s.putDigest(d, '{"bomFormat":"CycloneDX"}'), { created: true });
      assert.deepEqual(await s.putDigest({ ...d, target: 'other' }, '{"second":true}'), { created: false });
      assert.equal(await s.getSbom('sha256:aa'), '{"bomFormat":"CycloneDX"}');
      assert.equal((await s.getDigest('sha256:aa'))?.target, 'r/a:latest');
      assert.deepEqual((await s.getDigest('sha256:aa'))?.analysis, { sections: { secrets: [] } });
      assert.equal((await s.listDigests('r/a')).length, 1);
      assert.deepEqual(
        (await s.listDigestRefs()).map((r) => [r.digest, r.repository, r.target]),
        [['sha256:aa', 'r/a', 'r/a:latest']],
      );
      assert.equal(await s.getDigest('sha256:none'), undefined);

      const counts = { critical: 0, high: 1, medium: 0, low: 0, negligible: 0, unknown: 0 };
      const r = {
        digest: 'sha256:aa',
        analyzerVersion: 'zerocve 0.1.0',
        dbVersion: 'db1',
        findings: [finding('CVE-1')],
        verdict: { passed: false, threshold: 'high' as const, counts, suppressed: 0 },
        durationMs: 1234,
      };
      assert.deepEqual(await s.putResult(r), { created: true });
      assert.deepEqual(await s.putResult({ ...r, durationMs: 1 }), { created: false });
      await s.putResult({ ...r, dbVersion: 'db2', findings: [] });
      assert.equal(await s.countResults('sha256:aa'), 2);
      assert.deepEqual(
        (await s.listResults('sha256:aa')).map((x) => x.dbVersion),
        ['db1', 'db2'],
        'every result, oldest first',
      );
      assert.equal((await s.latestResult('sha256:aa'))?.dbVersion, 'db2');
      const first = await s.getResult({ digest: 'sha256:aa', analyzerVersion: 'zerocve 0.1.0', dbVersion: 'db1' });
      assert.equal(first?.durationMs, 1234);
      assert.equal(first?.findings[0].id, 'CVE-1');
      assert.equal(first?.verdict.passed, false);
    } finally {
      await s.close();
    }
  });

  test(`${kind}: the same change is one event however often it is reported`, async () => {
    const s = await options.open();
    try {
      const e = {
        repository: 'r/a',
        digest: 'sha256:aa',
        findingId: 'CVE-1',
        packageRef: 'pkg:deb/debian/openssl@3.0.1-1',
        kind: 'new' as const,
        new: { severity: 'high' as const, fixState: 'not-fixed' as const, fixedVersions: [] },
        dbVersion: 'db2',
      };
      const added = await s.addEvents([e, { ...e, findingId: 'CVE-2' }]);
      assert.equal(added.length, 2);
      assert.equal((await s.addEvents([e])).length, 0, 'a retried re-match adds nothing');
      await s.addEvents([{ ...e, digest: 'sha256:bb', repository: 'r/b' }]);
      assert.equal((await s.listEvents()).length, 3);
      assert.equal((await s.listEvents({ repository: 'r/b' })).length, 1);
      const page = await s.listEvents({ limit: 2 });
      assert.equal(page.length, 2);
      assert.equal((await s.listEvents({ after: page[1].id })).length, 1);
      assert.deepEqual(page[0].new, e.new);
      assert.equal(page[0].old, undefined);
    } finally {
      await s.close();
    }
  });

  test(`${kind}: each event is handed to each endpoint once; attempts are logged`, async () => {
    const s = await options.open();
    try {
      const e = {
        digest: 'sha256:aa',
        findingId: 'CVE-1',
        packageRef: 'pkg:pypi/x@1',
        kind: 'new' as const,
        new: { severity: 'high' as const, fixState: 'not-fixed' as const, fixedVersions: [] },
        dbVersion: 'db2',
      };
      await s.addEvents([e, { ...e, findingId: 'CVE-2' }]);
      const build = (events: { id: number }[]) => [
        { groupKey: events.map((x) => x.id).join(','), payload: { n: events.length } },
      ];
      const made = await s.enqueueDeliveries('webhook:a', build);
      assert.equal(made.length, 1);
      assert.deepEqual(made[0].payload, { n: 2 });
      assert.equal((await s.enqueueDeliveries('webhook:a', build)).length, 0, 'the cursor moved');
      assert.equal((await s.enqueueDeliveries('slack:b', build)).length, 1, 'another endpoint has its own cursor');
      await s.addEvents([{ ...e, findingId: 'CVE-3' }]);
      assert.deepEqual((await s.enqueueDeliveries('webhook:a', build))[0].payload, { n: 1 });

      const due = await s.dueDeliveries(Date.now());
      assert.equal(due.length, 3);
      await s.recordAttempt(due[0].id, {
        delivered: false,
        status: 500,
        error: 'HTTP 500',
        retryAt: Date.now() + 60_000,
      });
      await s.recordAttempt(due[1].id, { delivered: true, status: 204 });
      await s.recordAttempt(due[2].id, { delivered: false, error: 'refused' });
      assert.equal((await s.dueDeliveries(Date.now())).length, 0);
      assert.equal((await s.dueDeliveries(Date.now() + 120_000)).length, 1, 'retried after its backoff');
      const log = await s.listDeliveries();
      assert.deepEqual(
        log.map((d) => [d.state, d.attempts, d.lastStatus ?? null]),
        [
          ['pending', 1, 500],
          ['delivered', 1, 204],
          ['failed', 1, null],
        ],
      );
    } finally {
      await s.close();
    }
  });

  test(`${kind}: triage decisions, tokens (hashed) and the audit log`, async () => {
    const s = await options.open();
    try {
      const d = await s.addTriage({
        repository: 'r/a',
        findingId: 'CVE-1',
        package: 'openssl',
        status: 'not_affected',
        justification: 'vulnerable_code_not_in_execute_path',
        author: 'alice',
        until: '2099-01-01T00:00:00.000Z',
      });
      await s.addTriage({ repository: '*', findingId: 'CVE-2', status: 'under_investigation', author: 'bob' });
      await s.addTriage({
        repository: 'r/b',
        findingId: 'CVE-3',
        status: 'affected',
        action: 'upgrade',
        author: 'bob',
      });
      assert.deepEqual(
        (await s.listTriage('r/a')).map((t) => t.findingId),
        ['CVE-1', 'CVE-2'],
      );
      assert.equal((await s.listTriage()).length, 3);
      assert.equal(d.until, '2099-01-01T00:00:00.000Z');
      assert.equal(await s.deleteTriage(d.id), true);
      assert.equal((await s.listTriage('r/a')).length, 1);

      const { token, secret } = await s.createToken('ci', 'triager');
      assert.match(secret, /^zc_[A-Za-z0-9_-]{40,}$/);
      assert.deepEqual(await s.verifyToken(secret), token);
      assert.equal(await s.verifyToken(secret + 'x'), undefined);

      await s.audit({ actor: 'alice', action: 'catalog.put', target: 'r/a', detail: { tier: 'golden' } });
      await s.audit({ actor: 'bob', action: 'triage.add', target: 'CVE-1' });
      const log = await s.listAudit();
      assert.deepEqual(
        log.map((a) => [a.actor, a.action]),
        [
          ['alice', 'catalog.put'],
          ['bob', 'triage.add'],
        ],
      );
      assert.deepEqual(log[0].detail, { tier: 'golden' });
    } finally {
      await s.close();
    }
  });

  test(`${kind}: jobs are deduplicated by key, run, retried with backoff and counted`, async () => {
    const s = await options.open();
    try {
      const a = await s.jobs.enqueue({ name: 'scan', key: 'sha256:1|v|db1', data: { target: 'x' } });
      const b = await s.jobs.enqueue({ name: 'scan', key: 'sha256:1|v|db1', data: { target: 'x' } });
      assert.equal(a.deduplicated, false);
      assert.deepEqual(b, { id: a.id, deduplicated: true });
      const c = await s.jobs.enqueue({ name: 'scan', key: 'flaky', data: { target: 'y' } });
      assert.equal((await s.jobs.stats()).queued, 2);

      const seen: string[] = [];
      const starts: number[] = [];
      const worker = await s.jobs.work(
        ['scan'],
        async (job: JobRecord) => {
          seen.push(`${job.key}#${job.attempts}`);
          if (job.key === 'flaky') {
            starts.push(Date.now());
            if (job.attempts < 2) throw new Error('transient failure');
          }
          return { ok: job.key };
        },
        { pollSeconds: 0.5 },
      );
      try {
        const done = await until(async () => {
          const j = await s.jobs.get(c.id);
          return j?.state === 'completed' ? j : undefined;
        }, 'the flaky job to complete after a retry');
        assert.equal(done.attempts, 2);
        assert.deepEqual(done.output, { ok: 'flaky' });
        assert.ok(starts[1] - starts[0] >= 1500, `retry waited ${starts[1] - starts[0]} ms (backoff)`);
        const first = await until(async () => {
          const j = await s.jobs.get(a.id);
          return j?.state === 'completed' ? j : undefined;
        }, 'the first job');
        assert.equal(first.key, 'sha256:1|v|db1');
        assert.deepEqual(first.data, { target: 'x' });
      } finally {
        await worker.stop();
      }
      assert.deepEqual(seen.sort(), ['flaky#1', 'flaky#2', 'sha256:1|v|db1#1']);
      const st = await s.jobs.stats();
      assert.equal(st.completed, 2);
      assert.equal(st.queued + st.active + st.failed, 0);
      assert.equal((await s.jobs.durations(10)).length, 2);
      // a completed key may be queued again (its result makes the rerun cheap)
      assert.equal((await s.jobs.enqueue({ name: 'scan', key: 'flaky', data: {} })).deduplicated, false);
      assert.equal(await s.jobs.get('no-such-job'), undefined);
    } finally {
      await s.close();
    }
  });

  test(`${kind}: a job running longer than its lease stays with its live worker (heartbeat)`, async () => {
    const lease = 1;
    const s = await options.open(false, { jobLeaseSeconds: lease });
    try {
      const { id } = await s.jobs.enqueue({ name: 'scan', key: 'long', data: {} });
      const runs: string[] = [];
      // six leases: without renewal the job would expire, be retried and be taken by the idle second worker
      const handler = (w: string) => async (job: JobRecord) => {
        runs.push(`${w}#${job.attempts}`);
        await new Promise((r) => setTimeout(r, 6 * lease * 1000));
        return { w };
      };
      const w1 = await s.jobs.work(['scan'], handler('w1'), { pollSeconds: 0.2 });
      const w2 = await s.jobs.work(['scan'], handler('w2'), { pollSeconds: 0.2 });
      try {
        const done = await until(async () => {
          const j = await s.jobs.get(id);
          return j?.state === 'completed' ? j : undefined;
        }, 'the long job');
        assert.equal(runs.length, 1, `run once: ${runs}`);
        assert.equal(done.attempts, 1);
        assert.deepEqual(done.output, { w: runs[0].split('#')[0] });
      } finally {
        await Promise.all([w1.stop(), w2.stop()]);
      }
      assert.equal(runs.length, 1, `run once: ${runs}`);
    } finally {
      await s.close();
    }
  });

  test(`${kind}: Harbor scan ids survive a reopen; an ended scan stays ended; old ones are pruned`, async () => {
    const s = await options.open();
    const request = { ref: 'reg.example/ml/app@sha256:' + 'a'.repeat(64), artifact: { repository: 'ml/app' } };
    let ok: string;
    let bad: string;
    try {
      const a = await s.putHarborScan('id-ok', request);
      assert.equal(a.state, 'running');
      assert.deepEqual(a.request, request);
      await s.putHarborScan('id-bad', request);
      await assert.rejects(s.putHarborScan('id-ok', request), 'an id is recorded once');
      assert.equal(await s.finishHarborScan('id-ok', { digest: 'sha256:1' }), true);
      assert.equal(await s.finishHarborScan('id-ok', { error: 'late' }), false, 'an ended scan is not ended again');
      assert.equal(await s.finishHarborScan('id-bad', { error: 'pull failed' }), true);
      assert.equal(await s.finishHarborScan('no-such-id', { digest: 'sha256:1' }), false);
      ok = 'id-ok';
      bad = 'id-bad';
    } finally {
      await s.close();
    }
    const again = await options.open(true);
    try {
      const done = await again.getHarborScan(ok);
      assert.equal(done?.state, 'done');
      assert.equal(done?.digest, 'sha256:1');
      assert.deepEqual(done?.request, request);
      assert.ok(done && done.updatedAt >= done.createdAt);
      const failed = await again.getHarborScan(bad);
      assert.deepEqual([failed?.state, failed?.error, failed?.digest], ['failed', 'pull failed', undefined]);
      assert.equal(await again.getHarborScan('no-such-id'), undefined);
      assert.equal(await again.pruneHarborScans('2000-01-01T00:00:00.000Z'), 0);
      assert.equal(await again.pruneHarborScans(new Date(Date.now() + 1000).toISOString()), 2);
      assert.equal(await again.getHarborScan(ok), undefined);
    } finally {
      await again.close();
    }
  });

  test(`${kind}: catalog build sources and build records are kept`, async () => {
    const s = await options.open();
    try {
      await s.putCatalog({
        repository: 'r.example/base',
        tier: 'golden',
        policy: { failOn: 'low' },
        tags: ['1'],
        build: { spec: '/srv/images/base.yaml', tag: '1' },
      });
      assert.deepEqual((await s.getCatalog('r.example/base'))?.build, { spec: '/srv/images/base.yaml', tag: '1' });
      await s.putCatalog({ repository: 'r.example/base', tier: 'golden', policy: {}, tags: ['1'] });
      assert.equal((await s.getCatalog('r.example/base'))?.build, undefined, 'a put without build drops it');

      const verdict = {
        passed: false,
        threshold: 'low' as const,
        counts: { critical: 0, high: 2, medium: 0, low: 0, negligible: 0, unknown: 0 },
        suppressed: 0,
      };
      const a = await s.addBuild({ repository: 'r.example/base', jobId: 'j1', outcome: 'fresh' });
      const b = await s.addBuild({
        repository: 'r.example/base',
        jobId: 'j2',
        outcome: 'rejected',
        reason: '1 package with a newer version',
        updates: [{ name: 'libc6', installed: '2.36-9', candidate: '2.36-9+deb12u1', security: true }],
        digest: 'sha256:abc',
        verdict,
      });
      await s.addBuild({ repository: 'r.example/other', jobId: 'j3', outcome: 'failed', error: 'mmdebstrap failed' });
      assert.ok(b.id > a.id);
      const list = await s.listBuilds('r.example/base');
      assert.deepEqual(
        list.map((r) => [r.jobId, r.outcome]),
        [
          ['j2', 'rejected'],
          ['j1', 'fresh'],
        ],
        'most recent first, one repository',
      );
      assert.deepEqual(list[0].verdict, verdict);
      assert.equal(list[0].updates?.[0].candidate, '2.36-9+deb12u1');
      assert.equal(list[0].pushed, undefined);
      assert.deepEqual(
        (await s.listBuilds('r.example/base', { after: a.id })).map((r) => r.jobId),
        ['j2'],
      );
    } finally {
      await s.close();
    }
  });

  test(`${kind}: build jobs go only to workers that can build`, async () => {
    const s = await options.open();
    try {
      const build = await s.jobs.enqueue({ name: 'build', key: 'build|r.example/base|1', data: { repository: 'x' } });
      const scan = await s.jobs.enqueue({ name: 'scan', key: 'scan-k', data: { target: 'x' } });
      const ran: string[] = [];
      const plain = await s.jobs.work(
        workerJobNames(false),
        async (job: JobRecord) => {
          ran.push(`plain:${job.name}`);
          return {};
        },
        { pollSeconds: 0.5 },
      );
      try {
        await until(async () => ((await s.jobs.get(scan.id))?.state === 'completed' ? true : undefined), 'the scan');
        // give the plain worker time to (wrongly) take the build job too
        await new Promise((r) => setTimeout(r, 1500));
        assert.equal((await s.jobs.get(build.id))?.state, 'queued', 'a worker that cannot build leaves it queued');
      } finally {
        await plain.stop();
      }
      const builder = await s.jobs.work(
        workerJobNames(true),
        async (job: JobRecord) => {
          ran.push(`builder:${job.name}`);
          return { built: true };
        },
        { pollSeconds: 0.5 },
      );
      try {
        const done = await until(async () => {
          const j = await s.jobs.get(build.id);
          return j?.state === 'completed' ? j : undefined;
        }, 'the build job on a build-capable worker');
        assert.deepEqual(done.output, { built: true });
      } finally {
        await builder.stop();
      }
      assert.deepEqual(ran, ['plain:scan', 'builder:build']);
    } finally {
      await s.close();
    }
  });
}
