// parseTarget: pure unit tests, no server, no image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTarget, type TargetSpec } from './index.ts';
import { UsageError } from '../core/errors.ts';

const D = 'sha256:' + 'cd'.repeat(32);

const targets: [string, { kind: TargetSpec['kind']; canonical?: string; path?: string; tag?: string }][] = [
  ['python:3.12', { kind: 'registry', canonical: 'docker.io/library/python:3.12' }],
  ['registry:ghcr.io/o/r@' + D, { kind: 'registry', canonical: 'ghcr.io/o/r@' + D }],
  ['localhost:5000/x', { kind: 'registry', canonical: 'localhost:5000/x:latest' }],
  ['docker-archive:/tmp/a.tar', { kind: 'docker-archive', path: '/tmp/a.tar' }],
  ['oci-archive:rel/b.tar', { kind: 'oci-archive', path: 'rel/b.tar' }],
  ['oci-dir:/no/such/layout', { kind: 'oci-dir', path: '/no/such/layout', tag: undefined }],
  ['oci-dir:/no/such/layout:v2', { kind: 'oci-dir', path: '/no/such/layout', tag: 'v2' }],
  ['oci-dir:/no/such:dir/layout', { kind: 'oci-dir', path: '/no/such:dir/layout', tag: undefined }],
  ['dir:/', { kind: 'dir', path: '/' }],
  ['sbom:./x.cdx.json', { kind: 'sbom', path: './x.cdx.json' }],
];
for (const [input, want] of targets) {
  test(`parseTarget(${JSON.stringify(input)})`, () => {
    const spec = parseTarget(input);
    assert.equal(spec.target, input);
    assert.equal(spec.kind, want.kind);
    if (spec.kind === 'registry') assert.equal(spec.reference.canonical, want.canonical);
    else {
      assert.equal(spec.path, want.path);
      if (spec.kind === 'oci-dir') assert.equal(spec.tag, want.tag);
    }
  });
}

const badTargets: [string, RegExp][] = [
  ['dir:', /dir: needs a path/],
  ['oci-dir:/x:', /empty tag/],
  ['docker:python', /Docker daemon is not supported/],
  ['./image.tar', /looks like a path/],
  ['/abs/path', /looks like a path/],
  ['image.tar', /looks like a path/],
  ['Not A Ref', /white space/],
];
for (const [input, why] of badTargets) {
  test(`parseTarget refuses ${JSON.stringify(input)}`, () => {
    assert.throws(
      () => parseTarget(input),
      (e: unknown) => e instanceof UsageError && why.test(e.message) && !e.message.includes('\n'),
    );
  });
}
