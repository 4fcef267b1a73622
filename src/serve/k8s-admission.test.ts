// AdmissionReview v1 as the Kubernetes documentation ("Dynamic Admission Control", Webhook request and response)
// shapes it: request {uid, kind, resource, name, namespace, operation, userInfo, object, oldObject, options, dryRun};
// response {uid copied, allowed, status {code, message}, warnings}.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseAdmissionReview,
  workloadImages,
  decideAdmission,
  admissionResponse,
  imageViolations,
  DEFAULT_ADMISSION_POLICY,
  type AdmissionPolicy,
  type ImageStatus,
} from './k8s-admission.ts';
import { InputError } from '../core/errors.ts';

const NOW = new Date('2026-12-01T12:00:00Z');
const zero = { critical: 0, high: 0, medium: 0, low: 0, negligible: 0, unknown: 0 };

const podSpec = (image: string) => ({
  initContainers: [{ name: 'fetch-weights', image: 'reg.local/ml/tools:1' }],
  containers: [{ name: 'train', image, resources: { limits: { 'nvidia.com/gpu': 1 } } }],
  ephemeralContainers: [{ name: 'debugger', image: 'reg.local/debug:1' }],
});

function review(kind: { group: string; version: string; kind: string }, object: object, extra: object = {}) {
  const resource = { group: kind.group, version: kind.version, resource: kind.kind.toLowerCase() + 's' };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
      kind,
      resource,
      requestKind: kind,
      requestResource: resource,
      name: 'trainer',
      namespace: 'ml-team',
      operation: 'CREATE',
      userInfo: { username: 'admin', uid: '014fbff9a07c', groups: ['system:authenticated'] },
      object,
      oldObject: null,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
      dryRun: false,
      ...extra,
    },
  };
}

const WORKLOADS: [string, { group: string; version: string; kind: string }, (img: string) => object][] = [
  ['Pod', { group: '', version: 'v1', kind: 'Pod' }, (i) => ({ apiVersion: 'v1', kind: 'Pod', spec: podSpec(i) })],
  ...(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'] as const).map(
    (k) =>
      [
        k,
        { group: 'apps', version: 'v1', kind: k },
        (i: string) => ({ apiVersion: 'apps/v1', kind: k, spec: { template: { spec: podSpec(i) } } }),
      ] as [string, { group: string; version: string; kind: string }, (img: string) => object],
  ),
  [
    'Job',
    { group: 'batch', version: 'v1', kind: 'Job' },
    (i) => ({ kind: 'Job', spec: { template: { spec: podSpec(i) } } }),
  ],
  [
    'CronJob',
    { group: 'batch', version: 'v1', kind: 'CronJob' },
    (i) => ({
      kind: 'CronJob',
      spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: { spec: podSpec(i) } } } },
    }),
  ],
];

for (const [name, kind, make] of WORKLOADS) {
  test(`${name}: containers, init containers and ephemeral containers are all read`, () => {
    const req = parseAdmissionReview(review(kind, make('reg.local/ml/torch:2.3')));
    assert.deepEqual(
      workloadImages(req.kind, req.object!)?.map((i) => `${i.list}/${i.container}=${i.image}`),
      [
        'containers/train=reg.local/ml/torch:2.3',
        'initContainers/fetch-weights=reg.local/ml/tools:1',
        'ephemeralContainers/debugger=reg.local/debug:1',
      ],
    );
  });
}

const golden: ImageStatus = {
  ref: 'reg.local/ml/torch:2.3',
  digest: 'sha256:' + 'aa'.repeat(32),
  catalog: { repository: 'reg.local/ml/torch', tier: 'golden' },
  verdict: 'pass',
  findings: { ...zero, low: 2 },
  scannedAt: '2026-12-01T06:00:00Z',
};
const tools: ImageStatus = {
  ...golden,
  ref: 'reg.local/ml/tools:1',
  catalog: { repository: 'reg.local/ml/tools', tier: 'golden' },
};
const debug: ImageStatus = {
  ...golden,
  ref: 'reg.local/debug:1',
  catalog: { repository: 'reg.local/debug', tier: 'candidate' },
};
const statuses = (over: Record<string, ImageStatus | undefined> = {}) =>
  new Map<string, ImageStatus | undefined>(
    Object.entries({ [golden.ref]: golden, [tools.ref]: tools, [debug.ref]: debug, ...over }),
  );
const deployment = (image = golden.ref, extra: object = {}) =>
  parseAdmissionReview(review(WORKLOADS[1][1], WORKLOADS[1][2](image), extra));

test('images in the catalog with passing verdicts are admitted; the response echoes the uid', () => {
  const d = decideAdmission(deployment(), DEFAULT_ADMISSION_POLICY, statuses(), NOW);
  assert.equal(d.allowed, true);
  assert.deepEqual(admissionResponse('705ab4f5-6393-11e8-b7cc-42010a800002', d), {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: { uid: '705ab4f5-6393-11e8-b7cc-42010a800002', allowed: true },
  });
});

test(
  'a failing deprecated image is denied with a message naming the image, the rule and the golden ' + 'replacement',
  () => {
    const old: ImageStatus = {
      ...golden,
      ref: 'reg.local/ml/torch:1.13',
      catalog: { repository: 'reg.local/ml/torch', tier: 'deprecated', replacement: 'reg.local/ml/torch:2.3' },
      verdict: 'fail',
      findings: { ...zero, critical: 1, high: 4 },
    };
    const d = decideAdmission(deployment(old.ref), DEFAULT_ADMISSION_POLICY, statuses({ [old.ref]: old }), NOW);
    assert.equal(d.allowed, false);
    assert.equal(
      d.message,
      'zerocve denied Deployment trainer: image reg.local/ml/torch:1.13 (container train) fails its policy; ' +
        'use reg.local/ml/torch:2.3 instead',
    );
    const res = admissionResponse('u1', d);
    assert.deepEqual(res.response.status, { code: 403, message: d.message });
  },
);

test('policies: golden only, no finding at or above a severity, scanned within an age', () => {
  const strict: AdmissionPolicy = {
    ...DEFAULT_ADMISSION_POLICY,
    require: { golden: true, belowSeverity: 'high', maxScanAgeHours: 24 },
  };
  assert.deepEqual(imageViolations(golden, strict, NOW), []);
  assert.deepEqual(imageViolations(debug, strict, NOW), ['is candidate, not golden']);
  assert.deepEqual(imageViolations({ ...golden, findings: { ...zero, high: 3, critical: 1 } }, strict, NOW), [
    'has 1 critical, 3 high finding(s)',
  ]);
  assert.deepEqual(imageViolations({ ...golden, scannedAt: '2026-11-28T12:00:00Z' }, strict, NOW), [
    'was last scanned 72 h ago (limit 24 h)',
  ]);
  assert.deepEqual(
    imageViolations({ ...golden, catalog: { repository: 'x', tier: 'blocked' } }, DEFAULT_ADMISSION_POLICY, NOW),
    ['is blocked in the catalog'],
  );
  // the ephemeral debug container is candidate: a golden-only policy denies the Deployment because of it
  const d = decideAdmission(deployment(), strict, statuses(), NOW);
  assert.equal(d.allowed, false);
  assert.match(d.message!, /reg\.local\/debug:1 \(container debugger\) is candidate, not golden/);
});

test('unknown images: denied, or admitted with a warning and queued for a scan; dryRun queues nothing', () => {
  const unknown = 'reg.local/ml/new:1';
  const deny = decideAdmission(deployment(unknown), DEFAULT_ADMISSION_POLICY, statuses(), NOW);
  assert.equal(deny.allowed, false);
  assert.match(deny.message!, /reg\.local\/ml\/new:1 \(container train\) was never scanned by zerocve/);
  const warn: AdmissionPolicy = { ...DEFAULT_ADMISSION_POLICY, unknownImage: 'warn-and-scan' };
  const queued = decideAdmission(deployment(unknown), warn, statuses(), NOW);
  assert.equal(queued.allowed, true);
  assert.deepEqual(queued.toScan, [unknown]);
  assert.deepEqual(queued.warnings, ['image reg.local/ml/new:1 (container train) is unknown; queued for a scan']);
  const dry = decideAdmission(deployment(unknown, { dryRun: true }), warn, statuses(), NOW);
  assert.equal(dry.allowed, true);
  assert.deepEqual(dry.toScan, [], 'dryRun has no side effects');
  assert.deepEqual(dry.warnings, [
    'image reg.local/ml/new:1 (container train) is unknown; a scan would be queued (dryRun: nothing was)',
  ]);
  // a tag resolved to a digest never scanned, or a catalog image never scanned: the same unknown-image rule
  const D = `sha256:${'c'.repeat(64)}`;
  const resolved = new Map([...statuses(), [unknown, { ref: unknown, digest: D }]]);
  const both = decideAdmission(deployment(unknown), warn, resolved, NOW);
  assert.deepEqual([both.allowed, both.toScan], [true, [unknown]]);
  assert.deepEqual(both.warnings, [`image ${unknown} (container train) is unknown (it is ${D}); queued for a scan`]);
  assert.match(
    decideAdmission(deployment(unknown), DEFAULT_ADMISSION_POLICY, resolved, NOW).message!,
    new RegExp(`new:1 \\(container train\\) was never scanned by zerocve \\(it is ${D}\\)`),
  );
  const inCatalog = new Map([
    [unknown, { ref: unknown, catalog: { repository: 'reg.local/ml/new', tier: 'golden' as const } }],
  ]);
  assert.equal(decideAdmission(deployment(unknown), warn, inCatalog, NOW).allowed, true);
  const blocked = new Map([
    [unknown, { ref: unknown, catalog: { repository: 'reg.local/ml/new', tier: 'blocked' as const } }],
  ]);
  assert.match(decideAdmission(deployment(unknown), warn, blocked, NOW).message!, /is blocked in the catalog/);
});

test('exempt images match as written or normalized (nginx:1 is docker.io/library/nginx:1)', () => {
  const policy: AdmissionPolicy = { ...DEFAULT_ADMISSION_POLICY, exemptImages: ['docker.io/library/nginx:*'] };
  for (const image of ['nginx:1', 'library/nginx:1', 'index.docker.io/library/nginx:1'])
    assert.equal(decideAdmission(deployment(image), policy, statuses(), NOW).allowed, true, image);
  assert.equal(decideAdmission(deployment('ghcr.io/x/nginx:1'), policy, statuses(), NOW).allowed, false);
});

test('audit mode only warns; exempt namespaces and images; DELETE and kinds without pods pass untouched', () => {
  const audit: AdmissionPolicy = { ...DEFAULT_ADMISSION_POLICY, mode: 'audit' };
  const d = decideAdmission(deployment('reg.local/other:1'), audit, statuses(), NOW);
  assert.equal(d.allowed, true);
  assert.deepEqual(d.warnings, ['[audit] image reg.local/other:1 (container train) was never scanned by zerocve']);
  const sys = parseAdmissionReview(review(WORKLOADS[0][1], WORKLOADS[0][2]('x:1'), { namespace: 'kube-system' }));
  assert.equal(decideAdmission(sys, DEFAULT_ADMISSION_POLICY, statuses(), NOW).allowed, true);
  const exemptImg: AdmissionPolicy = { ...DEFAULT_ADMISSION_POLICY, exemptImages: ['reg.local/other*'] };
  assert.equal(decideAdmission(deployment('reg.local/other:1'), exemptImg, statuses(), NOW).allowed, true);
  const del = parseAdmissionReview(
    review(WORKLOADS[0][1], WORKLOADS[0][2]('x:1'), { operation: 'DELETE', object: null }),
  );
  assert.equal(decideAdmission(del, DEFAULT_ADMISSION_POLICY, statuses(), NOW).allowed, true);
  const cm = parseAdmissionReview(
    review({ group: '', version: 'v1', kind: 'ConfigMap' }, { kind: 'ConfigMap', data: {} }),
  );
  assert.equal(decideAdmission(cm, DEFAULT_ADMISSION_POLICY, statuses(), NOW).allowed, true);
});

test('malformed reviews are one-line input errors (the service answers 400)', () => {
  const good = review(WORKLOADS[0][1], WORKLOADS[0][2]('x:1'));
  const cases: unknown[] = [
    null,
    { ...good, apiVersion: 'admission.k8s.io/v1beta1' },
    { ...good, kind: 'Pod' },
    { ...good, request: undefined },
    { ...good, request: { ...good.request, uid: '' } },
    { ...good, request: { ...good.request, operation: 'PATCH' } },
    { ...good, request: { ...good.request, kind: 'Pod' } },
  ];
  for (const c of cases)
    assert.throws(
      () => parseAdmissionReview(c),
      (e: unknown) => e instanceof InputError && !e.message.includes('\n'),
    );
  const noImage = parseAdmissionReview(review(WORKLOADS[0][1], { kind: 'Pod', spec: { containers: [{ name: 'a' }] } }));
  assert.throws(() => workloadImages(noImage.kind, noImage.object!), /a container in containers has no image/);
});
