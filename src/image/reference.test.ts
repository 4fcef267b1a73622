import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseReference,
  registryEndpoint,
  isLoopbackRegistry,
  manifestReference,
  imageKey,
  repositoryKey,
} from './reference.ts';
import { UsageError } from '../core/errors.ts';

const D = 'sha256:' + 'ab'.repeat(32);

const good: [string, string, string, string, string | undefined, string | undefined][] = [
  // input, canonical, registry, repository, tag, digest
  ['python', 'docker.io/library/python:latest', 'docker.io', 'library/python', 'latest', undefined],
  ['python:3.12-slim', 'docker.io/library/python:3.12-slim', 'docker.io', 'library/python', '3.12-slim', undefined],
  [
    'pytorch/pytorch:2.3.0-cuda12.1-cudnn8-runtime',
    'docker.io/pytorch/pytorch:2.3.0-cuda12.1-cudnn8-runtime',
    'docker.io',
    'pytorch/pytorch',
    '2.3.0-cuda12.1-cudnn8-runtime',
    undefined,
  ],
  ['docker.io/python', 'docker.io/library/python:latest', 'docker.io', 'library/python', 'latest', undefined],
  ['index.docker.io/library/python:3', 'docker.io/library/python:3', 'docker.io', 'library/python', '3', undefined],
  [
    'registry:nvcr.io/nvidia/pytorch:24.05-py3',
    'nvcr.io/nvidia/pytorch:24.05-py3',
    'nvcr.io',
    'nvidia/pytorch',
    '24.05-py3',
    undefined,
  ],
  ['localhost:5000/a/b/c:v1', 'localhost:5000/a/b/c:v1', 'localhost:5000', 'a/b/c', 'v1', undefined],
  ['localhost/x', 'localhost/x:latest', 'localhost', 'x', 'latest', undefined],
  ['127.0.0.1:5000/tiny', '127.0.0.1:5000/tiny:latest', '127.0.0.1:5000', 'tiny', 'latest', undefined],
  [`ghcr.io/o/r@${D}`, `ghcr.io/o/r@${D}`, 'ghcr.io', 'o/r', undefined, D],
  [`ghcr.io/o/r:t@${D}`, `ghcr.io/o/r:t@${D}`, 'ghcr.io', 'o/r', 't', D],
  ['[::1]:5000/x:y', '[::1]:5000/x:y', '[::1]:5000', 'x', 'y', undefined],
  ['a__b/c.d-e_f:1', 'docker.io/a__b/c.d-e_f:1', 'docker.io', 'a__b/c.d-e_f', '1', undefined],
  ['Myhost/x', 'Myhost/x:latest', 'Myhost', 'x', 'latest', undefined],
];

for (const [input, canonical, registry, repository, tag, digest] of good) {
  test(`parseReference(${JSON.stringify(input)})`, () => {
    const r = parseReference(input);
    assert.equal(r.canonical, canonical);
    assert.equal(r.registry, registry);
    assert.equal(r.repository, repository);
    assert.equal(r.tag, tag);
    assert.equal(r.digest, digest);
  });
}

const bad: [string, RegExp][] = [
  ['', /empty/],
  ['Python', /must be lower-case/],
  ['python:', /invalid tag ""/],
  ['python:-x', /invalid tag/],
  ['python@sha256:abc', /malformed digest/],
  ['a//b', /empty path component/],
  ['https://ghcr.io/o/r', /a URL is not an image reference/],
  ['ghcr.io/o/r:t:u', /invalid/],
  ['localhost:99999/x', /invalid port/],
  ['a b', /white space/],
  [':tag', /no repository name/],
  ['ex_ample.com/x', /invalid registry host/],
  ['x/-y', /invalid repository path component/],
];
for (const [input, why] of bad) {
  test(`parseReference refuses ${JSON.stringify(input)} with a one-line UsageError`, () => {
    assert.throws(
      () => parseReference(input),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message.startsWith(`image reference ${JSON.stringify(input)}: `) &&
        why.test(e.message) &&
        !e.message.includes('\n'),
    );
  });
}

test('registryEndpoint, isLoopbackRegistry and manifestReference', () => {
  assert.equal(registryEndpoint('docker.io'), 'registry-1.docker.io');
  assert.equal(registryEndpoint('ghcr.io'), 'ghcr.io');
  for (const [h, want] of [
    ['localhost', true],
    ['localhost:5000', true],
    ['127.0.0.1:5000', true],
    ['127.1.2.3', true],
    ['[::1]:5000', true],
    ['ghcr.io', false],
    ['128.0.0.1:5000', false],
    ['localhost.example.com', false],
  ] as const) {
    assert.equal(isLoopbackRegistry(h), want, h);
  }
  assert.equal(manifestReference(parseReference('x')), 'latest');
  assert.equal(manifestReference(parseReference(`x:t@${D}`)), D);
});

// one identity per image: what the catalog, tag history, admission, Gatekeeper keys and registry hooks compare
const keys: [string, string, string | undefined, string | undefined][] = [
  // input, repository, tag, digest
  ['nginx', 'docker.io/library/nginx', 'latest', undefined],
  ['nginx:latest', 'docker.io/library/nginx', 'latest', undefined],
  ['library/nginx', 'docker.io/library/nginx', 'latest', undefined],
  ['docker.io/library/nginx', 'docker.io/library/nginx', 'latest', undefined],
  ['index.docker.io/library/nginx:latest', 'docker.io/library/nginx', 'latest', undefined],
  ['registry-1.docker.io/library/nginx', 'docker.io/library/nginx', 'latest', undefined],
  ['nginx:1.27', 'docker.io/library/nginx', '1.27', undefined],
  ['bitnami/nginx', 'docker.io/bitnami/nginx', 'latest', undefined],
  ['host:5000/x', 'host:5000/x', 'latest', undefined],
  ['host:5000/x:v2', 'host:5000/x', 'v2', undefined],
  ['127.0.0.1:5000/ml/torch:2.3', '127.0.0.1:5000/ml/torch', '2.3', undefined],
  [`reg.local/ml/app@${D}`, 'reg.local/ml/app', undefined, D],
  [`reg.local/ml/app:v1@${D}`, 'reg.local/ml/app', 'v1', D],
  [`nginx@${D}`, 'docker.io/library/nginx', undefined, D],
];
for (const [input, repository, tag, digest] of keys) {
  test(`imageKey(${JSON.stringify(input)})`, () => {
    const k = imageKey(input);
    assert.deepEqual([k.repository, k.tag, k.digest], [repository, tag, digest]);
    assert.equal(k.canonical, `${repository}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`);
  });
}

test('the five spellings of nginx are one image; a port or another registry is another', () => {
  const same = [
    'nginx',
    'nginx:latest',
    'library/nginx',
    'docker.io/library/nginx',
    'index.docker.io/library/nginx:latest',
  ];
  assert.deepEqual(new Set(same.map((s) => imageKey(s).canonical)), new Set(['docker.io/library/nginx:latest']));
  assert.notEqual(imageKey('host:5000/nginx').repository, imageKey('host/nginx').repository);
  assert.notEqual(imageKey('ghcr.io/library/nginx').repository, imageKey('nginx').repository);
  assert.throws(() => imageKey('Nginx'), UsageError);
});

test('repositoryKey: repository names normalized; tags, digests and non-references kept as written', () => {
  for (const [input, want] of [
    ['nginx', 'docker.io/library/nginx'],
    ['index.docker.io/library/nginx', 'docker.io/library/nginx'],
    ['host:5000/ml/x', 'host:5000/ml/x'],
    ['reg.local/ml/torch', 'reg.local/ml/torch'],
    ['nginx:1.27', 'nginx:1.27'],
    [`reg.local/x@${D}`, `reg.local/x@${D}`],
    ['Not A Reference', 'Not A Reference'],
    ['*', '*'],
  ] as const)
    assert.equal(repositoryKey(input), want, input);
});
