// ProviderRequest / ProviderResponse as Gatekeeper's external data documentation defines them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProviderRequest, providerResponse } from './gatekeeper-external-data.ts';
import { InputError } from '../core/errors.ts';

test('a batched ProviderRequest gives per-key items and echoes the apiVersion', () => {
  const req = parseProviderRequest({
    apiVersion: 'externaldata.gatekeeper.sh/v1beta1',
    kind: 'ProviderRequest',
    request: { keys: ['reg.local/ml/torch:2.3', 'nginx:1'] },
  });
  assert.deepEqual(req.keys, ['reg.local/ml/torch:2.3', 'nginx:1']);
  const res = providerResponse(req.apiVersion, [
    { key: 'reg.local/ml/torch:2.3', value: { allowed: true } },
    { key: 'nginx:1', error: 'nginx:1 was never scanned by zerocve' },
  ]);
  assert.deepEqual(res, {
    apiVersion: 'externaldata.gatekeeper.sh/v1beta1',
    kind: 'ProviderResponse',
    response: {
      idempotent: true,
      items: [
        { key: 'reg.local/ml/torch:2.3', value: { allowed: true } },
        { key: 'nginx:1', error: 'nginx:1 was never scanned by zerocve' },
      ],
    },
  });
  assert.equal(providerResponse(req.apiVersion, [], 'store unreachable').response.systemError, 'store unreachable');
  const alpha = parseProviderRequest({
    apiVersion: 'externaldata.gatekeeper.sh/v1alpha1',
    kind: 'ProviderRequest',
    request: { keys: [] },
  });
  assert.equal(alpha.apiVersion, 'externaldata.gatekeeper.sh/v1alpha1');
});

test('requests of the wrong shape are one-line input errors', () => {
  const cases: unknown[] = [
    'x',
    { apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderResponse', request: { keys: [] } },
    { apiVersion: 'v1', kind: 'ProviderRequest', request: { keys: [] } },
    { apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys: 'a' } },
    { apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys: [1] } },
    {
      apiVersion: 'externaldata.gatekeeper.sh/v1beta1',
      kind: 'ProviderRequest',
      request: { keys: Array(1001).fill('a') },
    },
  ];
  for (const c of cases)
    assert.throws(
      () => parseProviderRequest(c),
      (e: unknown) => e instanceof InputError && !e.message.includes('\n'),
    );
});
