import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRateLimiter } from './rate-limit.ts';

test('a bucket allows a burst, then refills at the rate; Retry-After is the wait for one token', () => {
  let t = 0;
  const rl = createRateLimiter({ perSecond: 2, burst: 3 }, () => t);
  assert.deepEqual([rl.take('a'), rl.take('a'), rl.take('a')], [{ ok: true }, { ok: true }, { ok: true }]);
  assert.deepEqual(rl.take('a'), { ok: false, retryAfterSeconds: 1 });
  assert.equal(rl.has('a'), false);
  assert.deepEqual(rl.take('b'), { ok: true }, 'clients have their own buckets');
  t = 499;
  assert.equal(rl.take('a').ok, false, 'half a second at 2/s is not yet one token');
  t = 1000;
  assert.equal(rl.has('a'), true);
  assert.deepEqual([rl.take('a').ok, rl.take('a').ok, rl.take('a').ok], [true, true, false], 'one second: two');
  t = 100_000;
  assert.equal([1, 2, 3, 4].map(() => rl.take('a').ok).filter(Boolean).length, 3, 'never more than the burst');
});

test('a slow rate asks for a longer wait', () => {
  const rl = createRateLimiter({ perSecond: 0.25, burst: 1 }, () => 0);
  assert.equal(rl.take('x').ok, true);
  assert.deepEqual(rl.take('x'), { ok: false, retryAfterSeconds: 4 });
});

test('the buckets of many clients stay bounded: idle ones go first, then the least recently seen', () => {
  let t = 0;
  const rl = createRateLimiter({ perSecond: 1, burst: 1, maxClients: 3 }, () => t);
  for (const c of ['a', 'b', 'c']) rl.take(c);
  assert.equal(rl.size, 3);
  rl.take('d'); // all three busy: the least recently seen (a) goes
  assert.equal(rl.size, 3);
  assert.equal(rl.take('a').ok, true, 'a was forgotten: a fresh bucket');
  t = 10_000; // every bucket is full again
  rl.take('e');
  assert.equal(rl.size, 1);
  assert.throws(() => createRateLimiter({ perSecond: 0 }), RangeError);
});
