// Notifications of changes only, grouped per image with the most severe first: a generic webhook (JSON body,
// HMAC-SHA256 signature of the body in `X-Zerocve-Signature-256: sha256=<hex>`, a delivery id to deduplicate on)
// and a Slack-compatible incoming-webhook message. Each endpoint reads the event log through its own cursor,
// moved in the same transaction that stores its deliveries, so no change is sent twice; failed attempts are
// retried with exponential backoff and every attempt is in the delivery log.
import { createHash, createHmac } from 'node:crypto';
import { severityRank } from '../core/advisory.ts';
import type { ServiceStore, ServiceEvent, Delivery } from '../store/index.ts';

export interface NotifyTarget {
  kind: 'webhook' | 'slack';
  url: string;
  /** HMAC-SHA256 key (webhooks) */
  secret?: string;
}

export const MAX_ATTEMPTS = 8;
export const FIRST_RETRY_SECONDS = 1;

export const endpointName = (t: NotifyTarget): string => `${t.kind}:${t.url}`;

export const signBody = (secret: string, body: string): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

const worst = (e: ServiceEvent): number => severityRank((e.new ?? e.old)!.severity);

function groupPerImage(events: ServiceEvent[]): ServiceEvent[][] {
  const groups = new Map<string, ServiceEvent[]>();
  for (const e of events) groups.set(e.digest, [...(groups.get(e.digest) ?? []), e]);
  return [...groups.values()].map((g) => g.sort((a, b) => worst(b) - worst(a) || a.id - b.id));
}

const groupKey = (g: ServiceEvent[]): string =>
  createHash('sha256')
    .update(g.map((e) => e.id).join(','))
    .digest('hex');

export function webhookPayload(group: ServiceEvent[]) {
  const count = (k: ServiceEvent['kind']) => group.filter((e) => e.kind === k).length;
  return {
    type: 'zerocve.findings.changed',
    image: { repository: group[0].repository, digest: group[0].digest },
    dbVersion: group[0].dbVersion,
    summary: { new: count('new'), resolved: count('resolved'), changed: count('changed') },
    events: group,
  };
}

export function slackPayload(group: ServiceEvent[]) {
  const name = group[0].repository ?? group[0].digest;
  const line = (e: ServiceEvent): string => {
    const s = (e.new ?? e.old)!;
    const what =
      e.kind === 'new'
        ? `new ${s.severity}`
        : e.kind === 'resolved'
          ? 'resolved'
          : `${e.old!.severity}/${e.old!.fixState} → ${e.new!.severity}/${e.new!.fixState}`;
    return `• *${e.findingId}* in \`${e.packageRef}\`: ${what}`;
  };
  const shown = group.slice(0, 20).map(line);
  if (group.length > 20) shown.push(`… and ${group.length - 20} more`);
  return {
    text: `zerocve: ${group.length} change(s) in ${name} (${group[0].digest.slice(0, 19)})\n${shown.join('\n')}`,
  };
}

export async function enqueueNotifications(store: ServiceStore, targets: NotifyTarget[]): Promise<Delivery[]> {
  const made: Delivery[] = [];
  for (const t of targets)
    made.push(
      ...(await store.enqueueDeliveries(endpointName(t), (events) =>
        groupPerImage(events).map((g) => ({
          groupKey: groupKey(g),
          payload: t.kind === 'slack' ? slackPayload(g) : webhookPayload(g),
        })),
      )),
    );
  return made;
}

export async function deliverDue(
  store: ServiceStore,
  targets: NotifyTarget[],
  options: { now?: number; timeoutMs?: number } = {},
): Promise<number> {
  const byName = new Map(targets.map((t) => [endpointName(t), t]));
  let delivered = 0;
  for (const d of await store.dueDeliveries(options.now ?? Date.now())) {
    const t = byName.get(d.endpoint);
    if (!t) continue; // an endpoint no longer configured: kept in the log, not sent
    const body = JSON.stringify(d.payload);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'zerocve-serve',
      'x-zerocve-delivery': String(d.id),
      'x-zerocve-event': 'findings.changed',
    };
    if (t.kind === 'webhook' && t.secret) headers['x-zerocve-signature-256'] = signBody(t.secret, body);
    let status: number | undefined;
    let error: string | undefined;
    try {
      const res = await fetch(t.url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) error = `HTTP ${res.status}`;
    } catch (err) {
      error = (err as Error).message;
    }
    if (!error) {
      await store.recordAttempt(d.id, { delivered: true, status });
      delivered++;
    } else {
      const attempt = d.attempts + 1;
      await store.recordAttempt(d.id, {
        delivered: false,
        status,
        error,
        retryAt:
          attempt >= MAX_ATTEMPTS
            ? undefined
            : (options.now ?? Date.now()) + FIRST_RETRY_SECONDS * 1000 * 2 ** (attempt - 1),
      });
    }
  }
  return delivered;
}

/** Reads new events and sends due deliveries every `intervalMs` until stopped. */
export function startNotifier(
  store: ServiceStore,
  targets: NotifyTarget[],
  options: { intervalMs?: number; onError?: (err: unknown) => void } = {},
): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const tick = async (): Promise<void> => {
    try {
      await enqueueNotifications(store, targets);
      await deliverDue(store, targets);
    } catch (err) {
      options.onError?.(err);
    }
  };
  const timer = setInterval(() => {
    if (!stopped) running = running.then(tick);
  }, options.intervalMs ?? 1000);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
