// deploy/kubernetes: every manifest parses, and carries the fields the API server requires of its kind (and the ones
// zerocve's set-up depends on: selectors that match, the webhook reaching the Service on the admission path, the
// Gatekeeper template asking the provider the Provider object names).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT } from './e2e/support.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed YAML of many shapes, checked field by field
type Obj = Record<string, any>;

const DEPLOY = join(ROOT, 'deploy', 'kubernetes');

function* yamlFiles(dir: string): Generator<string> {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) yield* yamlFiles(p);
    else if (n.endsWith('.yaml')) yield p;
  }
}

const docs: { file: string; obj: Obj }[] = [];
for (const file of yamlFiles(DEPLOY)) {
  for (const d of parseAllDocuments(readFileSync(file, 'utf8'))) {
    assert.deepEqual(d.errors, [], `${file}: YAML errors`);
    const obj = d.toJS() as Obj | null;
    if (obj) docs.push({ file: relative(DEPLOY, file), obj });
  }
}
const byKind = (kind: string) => docs.filter((d) => d.obj.kind === kind).map((d) => d.obj);
const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

test('every manifest has apiVersion, kind and a DNS-1123 metadata.name', () => {
  assert.ok(docs.length >= 9, `${docs.length} documents`);
  for (const { file, obj } of docs) {
    assert.equal(typeof obj.apiVersion, 'string', `${file}: apiVersion`);
    assert.equal(typeof obj.kind, 'string', `${file}: kind`);
    assert.match(obj.metadata?.name ?? '', DNS1123, `${file}: metadata.name`);
  }
});

test(
  'Deployments: selector matches the pod labels; containers ' +
    'named with images; non-root; Service selects serve pods',
  () => {
    const deployments = byKind('Deployment');
    assert.deepEqual(deployments.map((d) => d.metadata.name).sort(), ['zerocve', 'zerocve-worker']);
    for (const d of deployments) {
      assert.equal(d.apiVersion, 'apps/v1');
      const labels = d.spec.template.metadata.labels;
      for (const [k, v] of Object.entries(d.spec.selector.matchLabels))
        assert.equal(labels[k], v, `${d.metadata.name}: ${k}`);
      assert.equal(d.spec.template.spec.securityContext.runAsNonRoot, true);
      for (const c of d.spec.template.spec.containers) {
        assert.match(c.name, DNS1123);
        assert.equal(typeof c.image, 'string');
        assert.equal(c.securityContext.allowPrivilegeEscalation, false);
      }
    }
    const [svc] = byKind('Service');
    const serve = deployments.find((d) => d.metadata.name === 'zerocve')!;
    for (const [k, v] of Object.entries(svc.spec.selector)) assert.equal(serve.spec.template.metadata.labels[k], v);
    assert.ok(svc.spec.ports.every((p: Obj) => Number.isInteger(p.port)));
    const args: string[] = serve.spec.template.spec.containers[0].args;
    assert.equal(args[0], 'serve');
    assert.ok(args.includes('--tls-cert') && args.includes('--tls-key'), 'the webhook needs TLS');
    const worker = deployments.find((d) => d.metadata.name === 'zerocve-worker')!;
    assert.equal(worker.spec.template.spec.containers[0].args[0], 'worker');
  },
);

test('ValidatingWebhookConfiguration: v1 required fields, the Service path, exemptions and a bounded timeout', () => {
  const [vwc] = byKind('ValidatingWebhookConfiguration');
  assert.equal(vwc.apiVersion, 'admissionregistration.k8s.io/v1');
  const [svc] = byKind('Service');
  for (const w of vwc.webhooks) {
    assert.ok(w.name.split('.').length >= 3, 'webhook names are fully qualified (at least three segments)');
    assert.deepEqual(w.admissionReviewVersions, ['v1']);
    assert.ok(['None', 'NoneOnDryRun'].includes(w.sideEffects), 'v1 requires sideEffects None or NoneOnDryRun');
    assert.ok(['Fail', 'Ignore'].includes(w.failurePolicy));
    assert.ok(w.timeoutSeconds >= 1 && w.timeoutSeconds <= 30);
    assert.deepEqual(
      { ns: w.clientConfig.service.namespace, name: w.clientConfig.service.name, path: w.clientConfig.service.path },
      { ns: svc.metadata.namespace, name: svc.metadata.name, path: '/admission/validate' },
    );
    assert.ok(svc.spec.ports.some((p: Obj) => p.port === w.clientConfig.service.port));
    assert.ok(Buffer.from(w.clientConfig.caBundle, 'base64').length > 0);
    const exempt = w.namespaceSelector.matchExpressions.find((e: Obj) => e.key === 'kubernetes.io/metadata.name');
    assert.equal(exempt.operator, 'NotIn');
    assert.ok(exempt.values.includes('kube-system') && exempt.values.includes('zerocve'));
    const resources = w.rules.flatMap((r: Obj) => r.resources);
    for (const r of ['pods', 'deployments', 'statefulsets', 'daemonsets', 'replicasets', 'jobs', 'cronjobs'])
      assert.ok(resources.includes(r), r);
    for (const r of w.rules) {
      assert.ok(r.operations.every((o: string) => ['CREATE', 'UPDATE', 'DELETE', 'CONNECT', '*'].includes(o)));
      assert.ok(Array.isArray(r.apiGroups) && Array.isArray(r.apiVersions));
    }
  }
});

test('Gatekeeper: the Provider is https with a caBundle, and the template asks that provider', () => {
  const [provider] = byKind('Provider');
  assert.equal(provider.apiVersion, 'externaldata.gatekeeper.sh/v1beta1');
  assert.match(provider.spec.url, /^https:\/\/.+\/gatekeeper\/provide$/);
  assert.ok(Number.isInteger(provider.spec.timeout) && provider.spec.timeout > 0);
  assert.ok(provider.spec.caBundle);
  const [template] = byKind('ConstraintTemplate');
  assert.equal(template.apiVersion, 'templates.gatekeeper.sh/v1');
  const kind = template.spec.crd.spec.names.kind;
  assert.equal(template.metadata.name, kind.toLowerCase(), 'Gatekeeper requires name = lowercased kind');
  const rego: string = template.spec.targets[0].rego;
  assert.equal(template.spec.targets[0].target, 'admission.k8s.gatekeeper.sh');
  assert.ok(rego.includes(`"provider": "${provider.metadata.name}"`));
  assert.match(rego, /^package \w+/m);
  const [constraint] = byKind(kind);
  assert.ok(constraint, 'a constraint of the template kind');
  assert.ok(constraint.spec.match.excludedNamespaces.includes('kube-system'));
});
