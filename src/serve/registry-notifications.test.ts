// Push notifications as the real registry sends them: Debian's docker-registry (CNCF distribution 2.8) configured
// with a notifications endpoint on 127.0.0.1; a skopeo push produces blob events and one manifest event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parsePushNotification, DISTRIBUTION_EVENTS_MEDIA_TYPE } from './registry-notifications.ts';
import { InputError } from '../core/errors.ts';
import { buildTinyLayout, pushOciLayout, startRegistry } from '../../test/support/registry.ts';

test(
  'a skopeo push to the real registry: the manifest event names the pushed digest; ' + 'blob events are ignored',
  async () => {
    const received: { contentType?: string; auth?: string; body: unknown }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          contentType: req.headers['content-type'],
          auth: req.headers.authorization,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const work = mkdtempSync(join(tmpdir(), 'zc-notify-'));
    const registry = await startRegistry({
      notifications: { url: `http://127.0.0.1:${port}/hooks/registry`, headers: { Authorization: 'Bearer s3cret' } },
    });
    try {
      const layout = join(work, 'layout');
      await buildTinyLayout(layout, 'v1', { files: { 'etc/hello': 'hi\n' } });
      await pushOciLayout(layout, 'v1', registry.host, undefined, { repo: 'ml/base', destTag: 'v1' });
      const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
      const digest = index.manifests[0].digest;
      let images: ReturnType<typeof parsePushNotification> = [];
      for (let i = 0; i < 100 && images.length === 0; i++) {
        await sleep(50);
        images = received.flatMap((r) => parsePushNotification(r.body));
      }
      assert.equal(received[0].contentType, DISTRIBUTION_EVENTS_MEDIA_TYPE);
      assert.equal(received[0].auth, 'Bearer s3cret');
      assert.ok(
        received.some((r) => JSON.stringify(r.body).includes('"application/octet-stream"')),
        'the registry also sent blob events',
      );
      assert.equal(images.length, 1, JSON.stringify(received.map((r) => r.body)));
      assert.equal(images[0].ref, `${registry.host}/ml/base@${digest}`);
      assert.equal(images[0].repository, 'ml/base');
      assert.equal(images[0].tag, 'v1');
      assert.equal(images[0].via, 'distribution');
      assert.ok(images[0].eventId, 'events carry an id for deduplication');
    } finally {
      await registry.stop();
      server.close();
      rmSync(work, { recursive: true, force: true });
    }
  },
);

const D = 'sha256:' + 'ab'.repeat(32);

test('Harbor PUSH_ARTIFACT webhooks and plain {image} bodies', () => {
  const harbor = {
    type: 'PUSH_ARTIFACT',
    occur_at: 1700000000,
    operator: 'admin',
    event_data: {
      resources: [{ digest: D, tag: '2.3', resource_url: 'harbor.example.com/ml/torch:2.3' }],
      repository: {
        date_created: 1690000000,
        name: 'torch',
        namespace: 'ml',
        repo_full_name: 'ml/torch',
        repo_type: 'private',
      },
    },
  };
  assert.deepEqual(parsePushNotification(harbor), [
    {
      ref: `harbor.example.com/ml/torch@${D}`,
      repository: 'ml/torch',
      digest: D,
      tag: '2.3',
      via: 'harbor',
      eventId: `1700000000:${D}`,
    },
  ]);
  assert.deepEqual(parsePushNotification({ type: 'SCANNING_COMPLETED', event_data: {} }), []);
  assert.deepEqual(parsePushNotification({ image: `reg.local/ml/torch@${D}` }), [
    { ref: `reg.local/ml/torch@${D}`, repository: 'reg.local/ml/torch', digest: D, via: 'plain' },
  ]);
});

test('bodies of no known shape are one-line input errors', () => {
  for (const bad of [
    null,
    [],
    'x',
    {},
    { events: [{ action: 'push', target: { mediaType: 'application/vnd.oci.image.manifest.v1+json' } }] },
  ]) {
    assert.throws(
      () => parsePushNotification(bad),
      (e: unknown) => e instanceof InputError && !e.message.includes('\n'),
    );
  }
});
