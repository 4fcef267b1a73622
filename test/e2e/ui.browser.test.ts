// The web UI as a person uses it: real headless Chromium (Debian `chromium` + playwright-core) against a real
// `zerocve serve` on SQLite holding real scanned OCI images (the python3 test image and an ML app image built on
// it) and real PyPI advisories imported with the real importer, plus one crafted advisory whose title is hostile
// HTML. The menu lists the images with the right counts, filters narrow them, an image page shows its findings, a
// triage decision made in the page hides the finding and appears in the published VEX, compare shows both images,
// nothing in hostile data runs, no request leaves the service, and axe-core finds no serious/critical violation.
// Screenshots of the menu, an image page and compare are saved into docs/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, mkdirSync, writeFileSync, cpSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { chromium, type Page } from 'playwright-core';
import { zerocve, imageWithLayer, distInfo, ROOT } from './support.ts';
import { corpusPath, corpusSkip } from '../support/corpus.ts';
import { fixtureImage, fixtureSkip } from '../support/images.ts';
import { startCli, until, type Child } from '../support/service.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const PYPA = 'vulndata/pypa-advisory-database/vulns';
const skip = !CHROMIUM ? 'chromium not installed (apt-get install -y chromium)' : corpusSkip(PYPA) || fixtureSkip();
const APP = 'registry.example/ml/torch-app';
const BASE = 'registry.example/ml/python3';
const HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
/** where the screenshots go: ZEROCVE_UI_SCREENSHOTS=docs refreshes the README's; by default a temporary folder */
let SHOTS = '';

let work = '';
let serve: Child | undefined;
let base = '';
let admin = '';
let triager = '';
const digests: Record<string, string> = {};

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${admin}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.status < 400, `${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'zc-e2e-ui-'));
  SHOTS = process.env.ZEROCVE_UI_SCREENSHOTS ? join(ROOT, process.env.ZEROCVE_UI_SCREENSHOTS) : work;
  // advisories: PyPI's pillow and torch advisories, and one crafted advisory with a hostile title
  const adv = join(work, 'adv');
  for (const p of ['torch']) cpSync(corpusPath(`${PYPA}/${p}`)!, join(adv, p), { recursive: true });
  mkdirSync(join(adv, 'crafted'));
  writeFileSync(
    join(adv, 'crafted', 'PYSEC-2099-1.yaml'),
    [
      'id: PYSEC-2099-1',
      `summary: '${HOSTILE}'`,
      `details: '${HOSTILE}'`,
      'severity:',
      '- type: CVSS_V3',
      '  score: CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
      'affected:',
      '- package:',
      '    name: pillow',
      '    ecosystem: PyPI',
      '  ranges:',
      '  - type: ECOSYSTEM',
      '    events:',
      '    - introduced: "0"',
      '    - fixed: "99.0"',
      '',
    ].join('\n'),
  );
  // database version 1 without pillow's advisories; version 2 (after the scans) adds them: the re-match's events
  // feed the events page and the history chart
  const pillow = join(work, 'pillow');
  cpSync(corpusPath(`${PYPA}/pillow`)!, pillow, { recursive: true });
  const r = await zerocve(['db', 'import', '--db', join(work, 'vuln.db'), adv]);
  assert.equal(r.code, 0, r.stderr);

  // images: the python3 test image, and an ML app image on top of it (pip-installed torch, pillow, a model file)
  const py = await fixtureImage('python3');
  const site = '/usr/local/lib/python3.11/dist-packages';
  const appTarget = await imageWithLayer(py.ociDir, join(work, 'app-oci'), [
    ...distInfo(site, 'torch', '1.13.0+cu117'),
    ...distInfo(site, 'pillow', '8.4.0'),
    ...distInfo(site, 'nvidia-cuda-runtime-cu11', '11.7.99'),
    // a hostile package name (no slash, so it is a valid directory name)
    ...distInfo(site, '<svg onload=window.__pwned=3>', '1.0'),
    { path: '/models/model.safetensors', body: Buffer.alloc(4096, 1) },
  ]);
  writeFileSync(
    join(work, 'catalog.yaml'),
    [
      'images:',
      `  - repository: ${APP}`,
      '    tier: golden',
      '    owner: ml-platform',
      '    description: PyTorch app',
      '    policy: { failOn: critical }',
      `  - repository: ${BASE}`,
      '    tier: deprecated',
      '    description: Plain Python 3',
      `    owner: '${HOSTILE}'`,
      `    replacement: ${APP}`,
      '',
    ].join('\n'),
  );
  const store = ['--data', join(work, 'data')];
  admin = (await zerocve(['token', 'admin', '--role', 'admin', ...store])).stdout.trim();
  triager = (await zerocve(['token', 'alice', '--role', 'triager', ...store])).stdout.trim();
  serve = startCli([
    'serve',
    ...store,
    '--db',
    join(work, 'vuln.db'),
    '--no-cache',
    '--catalog',
    join(work, 'catalog.yaml'),
    '--listen',
    '127.0.0.1:0',
    '--scan-interval',
    '0',
    '--rematch-interval',
    '1',
  ]);
  base = (await serve.waitFor(/listening on (http:\/\/\S+)/))[1];
  for (const [repo, target] of [
    [APP, appTarget],
    [BASE, py.target],
  ]) {
    const job = (await api('POST', '/api/v1/scans', { target, repository: repo })).job;
    const done = await until(
      async () => {
        const j = await api('GET', `/api/v1/jobs/${job.id}`);
        assert.notEqual(j.state, 'failed', JSON.stringify(j));
        return j.state === 'completed' ? j : undefined;
      },
      `scan of ${repo}`,
      240_000,
    );
    digests[repo] = done.output.digest;
  }
  cpSync(pillow, join(adv, 'pillow'), { recursive: true });
  const r2 = await zerocve(['db', 'import', '--db', join(work, 'vuln2.db'), adv]);
  assert.equal(r2.code, 0, r2.stderr);
  renameSync(join(work, 'vuln2.db'), join(work, 'vuln.db'));
  await until(
    async () => {
      const v = (await api('GET', '/api/v1/db')).version;
      const imgs = (await api('GET', '/api/v1/images')).items as { dbVersion: string }[];
      const ev = (await api('GET', '/api/v1/events?limit=1000')).items;
      return ev.length > 0 && imgs.every((i) => i.dbVersion === v);
    },
    'the re-match after the database update',
    120_000,
  );
});

after(async () => {
  await serve?.stop('SIGKILL');
  if (work) rmSync(work, { recursive: true, force: true });
});

async function signIn(page: Page, token: string): Promise<void> {
  await page.goto(`${base}/ui/`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/ui/`);
}

async function axe(page: Page, what: string): Promise<void> {
  const source = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  // injected through the test harness (not a page <script>), so the page's CSP does not apply
  await page.evaluate(source);
  const result = await page.evaluate(() =>
    (
      window as unknown as {
        axe: {
          run(): Promise<{
            violations: {
              id: string;
              impact: string;
              help: string;
              nodes: { target: string[]; failureSummary: string }[];
            }[];
          }>;
        };
      }
    ).axe.run(),
  );
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map(
      (v) => `${v.id}: ${v.help}: ${v.nodes.map((n) => `${n.target.join(' ')} (${n.failureSummary})`).join('; ')}`,
    ),
    [],
    `${what}: axe-core serious/critical violations`,
  );
}

test(
  'web UI in headless Chromium: menu, filters, image, triage → VEX, compare, events',
  { skip, timeout: 600_000 },
  async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      const outside: string[] = [];
      page.on('request', (req) => {
        if (!req.url().startsWith(base)) outside.push(req.url());
      });
      const cspErrors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') cspErrors.push(m.text());
      });
      const pwned = () => page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned);

      // without a token: the sign-in page; / redirects to the menu
      const res = await page.goto(`${base}/`);
      assert.equal(res?.status(), 401);
      assert.equal(new URL(page.url()).pathname, '/ui/');
      assert.match(res!.headers()['content-security-policy'], /script-src 'self'/);
      await signIn(page, triager);

      // the menu: both images, golden first, with the counts the API reports
      const rows = page.locator('#catalog tbody tr');
      assert.equal(await rows.count(), 2);
      assert.equal(await rows.nth(0).getAttribute('data-repo'), APP);
      assert.equal(await rows.nth(1).getAttribute('data-repo'), BASE);
      const appFindings = (await api('GET', `/api/v1/images/${digests[APP]}/findings`)).findings as {
        id: string;
        severity: string;
        package: { name: string; purl: string };
      }[];
      assert.ok(appFindings.length >= 3, 'pillow 8.4.0 has findings');
      for (const sev of ['critical', 'high', 'medium', 'low']) {
        const n = appFindings.filter((f) => f.severity === sev).length;
        assert.equal(await rows.nth(0).locator(`[data-sev="${sev}"]`).textContent(), `${n}${sev[0].toUpperCase()}`);
      }
      const appRow = await rows.nth(0).textContent();
      assert.match(appRow!, /PyTorch 1\.13\.0/);
      assert.match(appRow!, /11\.7/);
      assert.match(appRow!, /3\.11/);
      assert.ok(appRow!.includes(`${APP}@${digests[APP]}`), 'pull reference by digest');
      assert.equal(await pwned(), undefined);
      await axe(page, 'menu');
      await page.screenshot({ path: join(SHOTS, 'ui-menu.png') });

      // filters narrow the list (a real form submit: the filters are in the URL)
      await page.getByLabel('Framework').selectOption('PyTorch');
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.waitForURL(/framework=PyTorch/);
      assert.equal(await rows.count(), 1);
      await page.goto(`${base}/ui/?tier=deprecated`);
      assert.equal(await rows.count(), 1);
      assert.equal(await rows.nth(0).getAttribute('data-repo'), BASE);
      await page.goto(`${base}/ui/?cuda=11`);
      assert.equal(await rows.count(), 1);
      await page.goto(`${base}/ui/?q=nothing-matches-this`);
      assert.equal(await rows.count(), 0);
      await page.goto(`${base}/ui/?clean=1`);
      const cleanRepos = await rows.evaluateAll((trs) => trs.map((t) => t.getAttribute('data-repo')));
      assert.ok(
        appFindings.some((f) => f.severity === 'critical'),
        'the crafted advisory is critical',
      );
      assert.deepEqual(cleanRepos, [BASE], 'only the image without critical/high findings');

      // the image page: its findings, the hostile advisory title as text, sorting and search through the URL
      await page.goto(`${base}/ui/`);
      await page.getByRole('link', { name: APP }).click();
      await page.waitForURL(/\/ui\/image\//);
      const findingRows = page.locator('#findings-table tbody tr');
      assert.equal(await findingRows.count(), appFindings.length);
      assert.ok((await page.locator('#findings-table').textContent())!.includes(HOSTILE));
      assert.equal(await pwned(), undefined);
      assert.ok(await page.locator('#bloat-chart').isVisible());
      assert.match((await page.locator('#models').textContent())!, /model\.safetensors/);
      assert.equal(await page.locator('#history-chart g.col').count(), 2, 'one column per database version');
      await page.goto(`${page.url().split('?')[0]}?q=PYSEC-2099-1`);
      assert.equal(await findingRows.count(), 1);
      await page.goto(`${page.url().split('?')[0]}?severity=critical&severity=high`);
      assert.equal(
        await findingRows.count(),
        appFindings.filter((f) => f.severity === 'critical' || f.severity === 'high').length,
      );
      await page.goto(`${base}/ui/image/${encodeURIComponent(digests[APP])}?sort=id&dir=asc`);
      const ids = await findingRows.evaluateAll((trs) => trs.map((t) => t.getAttribute('data-id')!));
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => a.localeCompare(b)),
      );
      await page.goto(`${base}/ui/image/${encodeURIComponent(digests[APP])}`);
      await axe(page, 'image page');
      await page.screenshot({ path: join(SHOTS, 'ui-image.png') });

      // triage in the page: the finding moves to "suppressed" with who and why, and the published VEX has it
      const target = appFindings.find((f) => f.id === 'PYSEC-2099-1')!;
      const row = page.locator(`#findings-table tr[data-id="${target.id}"]`);
      await row.getByText('Triage').click();
      await row.getByLabel('Status').selectOption('not_affected');
      await row.getByLabel('Justification (not_affected)').selectOption('vulnerable_code_not_in_execute_path');
      await row.getByRole('button', { name: 'Record decision' }).click();
      await page.waitForURL(/notice=/);
      assert.match((await page.getByRole('status').textContent())!, /Recorded: PYSEC-2099-1 not_affected/);
      assert.equal(await page.locator(`#findings-table tr[data-id="${target.id}"]`).count(), 0);
      const supp = await page.locator(`#suppressed-table tr[data-id="${target.id}"]`).textContent();
      assert.match(supp!, /alice/);
      assert.match(supp!, /vulnerable_code_not_in_execute_path/);
      const vex = await api('GET', `/api/v1/vex/${encodeURIComponent(APP)}`);
      assert.ok(
        vex.statements.some(
          (s: { vulnerability: { name: string }; status: string }) =>
            s.vulnerability.name === target.id && s.status === 'not_affected',
        ),
        JSON.stringify(vex),
      );

      // a cross-site form post is refused (no CSRF token, foreign origin)
      const forged = await fetch(`${base}/ui/triage`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin: 'http://evil.example',
          cookie: `zc_token=${triager}`,
        },
        body: new URLSearchParams({ findingId: 'X', status: 'fixed', repository: APP }).toString(),
      });
      assert.equal(forged.status, 403);

      // the deprecated image recommends the golden replacement
      await page.goto(`${base}/ui/image/${encodeURIComponent(digests[BASE])}`);
      assert.match((await page.locator('#replacement').textContent())!, new RegExp(APP.replace(/\./g, '\\.')));
      assert.ok((await page.locator('dl.summary').textContent())!.includes(HOSTILE), 'hostile owner shown as text');
      assert.equal(await pwned(), undefined);

      // compare: both images side by side, from the report's compare renderer
      await page.goto(`${base}/ui/compare`);
      await page.getByLabel('A (before)').selectOption(digests[BASE]);
      await page.getByLabel('B (after)').selectOption(digests[APP]);
      await page.getByRole('button', { name: 'Compare' }).click();
      await page.waitForURL(/compare\?a=/);
      const cmp = (await page.locator('#compare').textContent())!;
      assert.match(cmp, /Packages/);
      assert.match(cmp, /Only in B/);
      assert.match(cmp, /torch/);
      assert.ok(cmp.includes('<svg onload='), 'the hostile package name is shown as text');
      assert.equal(await pwned(), undefined);
      assert.equal(await page.locator('#metrics tr[data-key="packages"]').count(), 1);
      await axe(page, 'compare');
      await page.screenshot({ path: join(SHOTS, 'ui-compare.png') });

      // events: the feed lists the new findings of the scans
      await page.goto(`${base}/ui/events`);
      const feed = (await page.locator('#events').textContent())!;
      assert.ok((await page.locator('#events tbody tr').count()) > 0);
      assert.match(feed, /new/);
      await axe(page, 'events');

      assert.deepEqual(outside, [], 'no request leaves the service');
      assert.deepEqual(
        cspErrors.filter((e) => /Content Security Policy/i.test(e)),
        [],
        'nothing blocked by the CSP',
      );
      assert.equal(await pwned(), undefined);
    } finally {
      await browser.close();
    }
  },
);
