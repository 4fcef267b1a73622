// Loads the HTML report in a real headless Chromium (Debian `chromium` + playwright-core): the chart renders and
// the severity checkboxes and text filter hide rows. Skips, saying why, when Chromium is not installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { corpusPath, corpusSkip } from '../../test/support/corpus.ts';
import { pipelineReport } from '../../test/support/report-fixture.ts';
import { renderHtml } from './html.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const SKIP = !CHROMIUM
  ? 'chromium not installed (apt-get install -y chromium)'
  : corpusSkip('conformance/trivy/pkg/fanal/analyzer/pkg/dpkg/testdata/valid.txtar');

test(
  'html report in headless Chromium: chart visible, filters hide rows, no script injection',
  { skip: SKIP, timeout: 60_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zerocve-html-'));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const r = await pipelineReport({ corpus: corpusPath('') as string });
      r.findings.push({
        ...r.findings[0],
        id: 'CVE-0000-0001',
        title: '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>',
      });
      const file = join(dir, 'report.html');
      writeFileSync(file, renderHtml(r).join('\n'));
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (req) => {
        if (!req.url().startsWith('file:')) requests.push(req.url());
      });
      await page.goto(pathToFileURL(file).href);
      assert.deepEqual(requests, [], 'no network requests');
      assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
      const bars = await page.locator('#severity-chart g.bar').count();
      assert.equal(bars, 6);
      assert.ok(await page.locator('#severity-chart').isVisible());
      const visible = (): Promise<number> => page.locator('#findings tbody tr:not([hidden])').count();
      assert.equal(await visible(), r.findings.length);
      assert.equal(await page.locator('#shown').textContent(), String(r.findings.length));
      const high = r.findings.filter((f) => f.severity === 'high').length;
      await page.locator('input[data-sev="high"]').uncheck();
      assert.equal(await visible(), r.findings.length - high);
      await page.locator('input[data-sev="high"]').check();
      await page.locator('#filter-text').fill('urllib3');
      assert.equal(await visible(), r.findings.filter((f) => f.package.name === 'urllib3').length);
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
