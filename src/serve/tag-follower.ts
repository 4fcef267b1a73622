// Tag following: on a schedule the service asks each registry where every followed tag points now, with a
// conditional manifest HEAD (If-None-Match: the ETag, or the digest, seen last time). A 304 or the same digest
// changes nothing; a new digest goes into the tag history and a scan of that digest (not of the tag, which may move
// again) is queued. Nothing is re-scanned on a timer: stored inventories are re-matched when the database changes.
//
// Registries are polite clients' business: requests to one registry are spaced by --registry-rps, and a 429 leaves
// that registry alone for its Retry-After (or a doubling backoff when it sends none) while the others go on. Each
// registry is swept by its own loop; a registry still waiting out a 429 is skipped by later rounds, not queued up.
import { setTimeout as sleep } from 'node:timers/promises';
import { parseReference, registryClientFor, type RegistryClient } from '../image/index.ts';
import { RegistryError } from '../core/errors.ts';
import type { ServiceContext } from './jobs.ts';
import { requestScan } from './jobs.ts';
import { ANALYZER_VERSION } from './scan-adapter.ts';

export interface TagFollowerOptions {
  /** requests per second to one registry (default 2) */
  registryRps?: number;
  /** the first wait after a 429 without Retry-After, doubled each time up to maxBackoffMs (default 60 s) */
  backoffMs?: number;
  /** longest wait after a 429, Retry-After included (default 1 h) */
  maxBackoffMs?: number;
  /** the registry client of one registry (default: one per registry with the scan's image options) */
  clientFor?: (registry: string) => RegistryClient;
  onInfo?: (message: string) => void;
  onError?: (err: unknown) => void;
}

export interface FollowRound {
  /** tags resolved (answered 304 or with a digest) */
  checked: number;
  /** tags that point at a digest not seen before */
  moved: number;
  /** scans queued (new digests, and digests with no stored inventory of this zerocve version) */
  queued: number;
  /** registries skipped or cut short: still waiting out a 429, answered 429 during this round, or unreachable */
  deferred: string[];
}

export interface TagFollower {
  /** one round over every catalog entry's tags; resolves when each registry's sweep has ended */
  followAll(): Promise<FollowRound>;
  stop(): void;
}

interface RegistryState {
  client: RegistryClient;
  /** epoch ms before which no request goes out (request spacing) */
  nextAt: number;
  /** epoch ms until which the registry asked to be left alone (429) */
  blockedUntil: number;
  /** consecutive 429s without Retry-After */
  strikes: number;
  busy: boolean;
}

export function createTagFollower(ctx: ServiceContext, options: TagFollowerOptions = {}): TagFollower {
  const spacingMs = 1000 / Math.max(options.registryRps ?? 2, 0.001);
  const backoffMs = options.backoffMs ?? 60_000;
  const maxBackoffMs = options.maxBackoffMs ?? 3_600_000;
  const stopped = new AbortController();
  const registries = new Map<string, RegistryState>();
  const open = ctx.env.open ?? {};
  const clientFor =
    options.clientFor ??
    ((registry: string) =>
      registryClientFor(registry, {
        insecure: open.insecure,
        auth: open.auth,
        dockerConfigPath: open.dockerConfigPath,
        signal: stopped.signal,
        // network errors and 5xx: a few quick retries; 429 is handed back and waited out here
        retry: { attempts: 2, baseDelayMs: 500, maxDelayMs: 5000 },
      }));

  const stateOf = (registry: string): RegistryState => {
    let s = registries.get(registry);
    if (!s) {
      s = { client: clientFor(registry), nextAt: 0, blockedUntil: 0, strikes: 0, busy: false };
      registries.set(registry, s);
    }
    return s;
  };

  /** waits for the registry's next request slot (and any 429 wait); false when stopped */
  async function slot(s: RegistryState): Promise<boolean> {
    const at = Math.max(s.nextAt, s.blockedUntil);
    const wait = at - Date.now();
    if (wait > 0)
      try {
        await sleep(wait, undefined, { signal: stopped.signal });
      } catch {
        return false;
      }
    s.nextAt = Math.max(Date.now(), s.nextAt) + spacingMs;
    return !stopped.signal.aborted;
  }

  interface Work {
    repository: string;
    /** repository path inside the registry */
    path: string;
    tag: string;
  }

  async function sweep(registry: string, items: Work[], round: FollowRound): Promise<void> {
    const s = stateOf(registry);
    s.busy = true;
    try {
      // digests whose inventory this zerocve version already holds (in any repository: an image pushed to two
      // repositories is scanned once), read once per sweep without the inventories
      let known: Set<string> | undefined;
      const knownDigests = async (): Promise<Set<string>> =>
        (known ??= new Set(
          (await ctx.store.listDigestRefs()).filter((r) => r.analyzerVersion === ANALYZER_VERSION).map((r) => r.digest),
        ));
      for (let i = 0; i < items.length;) {
        const w = items[i];
        if (!(await slot(s))) return;
        let digest: string | undefined;
        try {
          const head = await ctx.store.getTagHead(w.repository, w.tag);
          const r = await s.client.headManifest(w.path, w.tag, {
            ifNoneMatch: head?.etag ?? head?.digest,
            signal: stopped.signal,
          });
          if (r.status === 'rate-limited') {
            const wait = Math.min(r.retryAfterMs ?? backoffMs * 2 ** s.strikes, maxBackoffMs);
            if (r.retryAfterMs === undefined) s.strikes++;
            s.blockedUntil = Date.now() + wait;
            if (!round.deferred.includes(registry)) round.deferred.push(registry);
            options.onInfo?.(
              `registry ${registry}: 429 too many requests; next request in ${Math.ceil(wait / 1000)} s`,
            );
            continue; // the same tag again once the wait is over
          }
          s.strikes = 0;
          round.checked++;
          if (r.status === 'current') {
            if (!head)
              throw new RegistryError(`registry ${registry}: 304 for ${w.path}:${w.tag} without If-None-Match`);
            digest = head.digest;
            await ctx.store.putTagHead({ repository: w.repository, tag: w.tag, digest, etag: head.etag });
          } else {
            digest = r.digest;
            const { changed } = await ctx.store.putTagHead({
              repository: w.repository,
              tag: w.tag,
              digest,
              etag: r.etag,
            });
            if (changed) {
              round.moved++;
              await ctx.store.recordTag({ repository: w.repository, tag: w.tag, digest });
              options.onInfo?.(`${w.repository}:${w.tag} now points at ${digest}`);
            }
          }
          const have = await knownDigests();
          if (!have.has(digest)) {
            have.add(digest); // another tag at the same digest in this round: one scan
            const job = await requestScan(ctx, `${w.repository}@${digest}`, w.repository, w.tag);
            if (!job.deduplicated) {
              round.queued++;
              options.onInfo?.(`${w.repository}@${digest}: scan queued (job ${job.id})`);
            }
          }
        } catch (err) {
          if (stopped.signal.aborted) return;
          options.onError?.(err);
          // unreachable (no HTTP status): the registry's other tags wait for the next round instead of failing alike
          if (err instanceof RegistryError && err.status === undefined) {
            if (!round.deferred.includes(registry)) round.deferred.push(registry);
            return;
          }
        }
        i++;
      }
    } finally {
      s.busy = false;
    }
  }

  return {
    async followAll() {
      const round: FollowRound = { checked: 0, moved: 0, queued: 0, deferred: [] };
      const groups = new Map<string, Work[]>();
      for (const e of await ctx.store.listCatalog())
        for (const tag of e.tags) {
          try {
            const ref = parseReference(`${e.repository}:${tag}`);
            const list = groups.get(ref.registry) ?? [];
            list.push({ repository: e.repository, path: ref.repository, tag });
            groups.set(ref.registry, list);
          } catch (err) {
            options.onError?.(err);
          }
        }
      const sweeps: Promise<void>[] = [];
      for (const [registry, items] of groups) {
        if (registries.get(registry)?.busy) {
          round.deferred.push(registry);
          continue;
        }
        sweeps.push(sweep(registry, items, round));
      }
      await Promise.all(sweeps);
      return round;
    },
    stop() {
      stopped.abort();
    },
  };
}
