// Pure helpers of the registry client: no server needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseChallenge, backoffDelay, retryAfterMs } from './index.ts';

test('parseChallenge and backoffDelay', () => {
  assert.deepEqual(
    parseChallenge(
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/python:pull"',
    ),
    {
      scheme: 'bearer',
      params: {
        realm: 'https://auth.docker.io/token',
        service: 'registry.docker.io',
        scope: 'repository:library/python:pull',
      },
    },
  );
  assert.deepEqual(parseChallenge('Basic realm="x y"'), { scheme: 'basic', params: { realm: 'x y' } });
  assert.equal(parseChallenge(null), undefined);
  const opts = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000 };
  for (let i = 0; i < 50; i++) {
    const d1 = backoffDelay(1, opts, null);
    const d3 = backoffDelay(3, opts, null);
    assert.ok(d1 >= 50 && d1 <= 100 && d3 >= 200 && d3 <= 400, `${d1} ${d3}`);
    assert.ok(backoffDelay(10, opts, null) <= 1000);
  }
  assert.equal(backoffDelay(1, opts, '0.5'), 500);
  assert.equal(backoffDelay(1, opts, '3600'), 1000);
  const at = Date.UTC(2030, 0, 1);
  assert.equal(backoffDelay(1, opts, new Date(at).toUTCString(), at - 700), 700);
  assert.equal(backoffDelay(1, opts, new Date(at).toUTCString(), at - 5000), 1000);
});

test('retryAfterMs: delta-seconds or an HTTP date; nothing for an absent or unreadable header', () => {
  const at = Date.UTC(2030, 0, 1);
  assert.equal(retryAfterMs('2', at), 2000);
  assert.equal(retryAfterMs('0', at), 0);
  assert.equal(retryAfterMs(new Date(at + 90_000).toUTCString(), at), 90_000);
  assert.equal(retryAfterMs(new Date(at - 5000).toUTCString(), at), 0, 'a date in the past: go now');
  assert.equal(retryAfterMs(null, at), undefined);
  assert.equal(retryAfterMs('', at), undefined);
  assert.equal(retryAfterMs('soon', at), undefined);
});
