import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffFindings } from './diff.ts';
import { finding } from '../store/common.case.ts';

const ctx = { digest: 'sha256:1', repository: 'r/a', dbVersion: 'db2' };

test('diff: new, resolved, changed severity, changed fix state; unchanged findings say nothing', () => {
  const before = [finding('CVE-1', 'low'), finding('CVE-2', 'high'), finding('CVE-3', 'medium'), finding('CVE-4')];
  const after = [
    finding('CVE-1', 'critical'), // severity raised
    finding('CVE-3', 'medium', ['3.0.2-1']), // a fix appeared
    finding('CVE-4'), // unchanged
    finding('CVE-5', 'medium'), // new
  ];
  const events = diffFindings(before, after, ctx);
  assert.deepEqual(
    events.map((e) => [e.kind, e.findingId]),
    [
      ['changed', 'CVE-1'], // critical first
      ['resolved', 'CVE-2'],
      ['changed', 'CVE-3'],
      ['new', 'CVE-5'],
    ],
  );
  assert.deepEqual(events[0].old, { severity: 'low', fixState: 'not-fixed', fixedVersions: [] });
  assert.deepEqual(events[0].new, { severity: 'critical', fixState: 'not-fixed', fixedVersions: [] });
  assert.deepEqual(events[2].new, { severity: 'medium', fixState: 'fixed', fixedVersions: ['3.0.2-1'] });
  assert.equal(events[1].new, undefined);
  assert.ok(events.every((e) => e.dbVersion === 'db2' && e.repository === 'r/a' && e.digest === 'sha256:1'));
});

test('diff: the same finding in another package is another finding; analysis findings are not diffed', () => {
  const other = {
    ...finding('CVE-1'),
    package: { ...finding('CVE-1').package, purl: 'pkg:deb/debian/libssl3@3.0.1-1' },
  };
  const model = { ...finding('ZC-MODEL-1'), kind: 'model' as const };
  const events = diffFindings([finding('CVE-1')], [finding('CVE-1'), other, model], ctx);
  assert.deepEqual(
    events.map((e) => [e.kind, e.packageRef]),
    [['new', 'pkg:deb/debian/libssl3@3.0.1-1']],
  );
});
