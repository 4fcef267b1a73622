// The corpus guard: a user's clone skips with a reason; CI fails on a missing corpus instead of skipping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { corpusSkip } from './support/corpus.ts';

test('a missing corpus path is a skip reason on a clone and an error in CI', () => {
  const missing = 'no/such/corpus/file';
  assert.match(
    corpusSkip(missing, { ci: false }) as string,
    /^shared corpus absent: .*no\/such\/corpus\/file not found/,
  );
  assert.throws(() => corpusSkip(missing, { ci: true }), /shared corpus missing in CI: .*no\/such\/corpus\/file/);
});
