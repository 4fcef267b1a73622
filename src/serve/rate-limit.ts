// Request rate limits: one token bucket per client. A bucket holds up to `burst` tokens and refills at `perSecond`
// tokens a second; a request takes one, and a request that finds none is answered 429 with Retry-After (the
// seconds until a token is back). Buckets live in this process's memory: with several `zerocve serve` replicas
// each enforces its own limit. Idle buckets (full again) are dropped when the map grows, so a flood of distinct
// clients cannot grow it without bound.
export interface RateLimitOptions {
  /** requests a second each client may make on average */
  perSecond: number;
  /** requests a client may make at once after being idle (default 2 × perSecond, at least 1) */
  burst?: number;
  /** most buckets kept (default 10,000): past it, full buckets go, then the least recently used */
  maxClients?: number;
}

export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

export interface RateLimiter {
  /** takes one token from the client's bucket */
  take(client: string): RateDecision;
  /** whether the bucket has a token, without taking it */
  has(client: string): boolean;
  readonly size: number;
}

export function createRateLimiter(options: RateLimitOptions, now: () => number = () => performance.now()): RateLimiter {
  const rate = options.perSecond;
  if (!(rate > 0)) throw new RangeError(`rate limit must be above 0 requests/second, got ${rate}`);
  const burst = Math.max(1, options.burst ?? Math.ceil(rate * 2));
  const max = options.maxClients ?? 10_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const level = (b: { tokens: number; at: number }, t: number): number =>
    Math.min(burst, b.tokens + ((t - b.at) / 1000) * rate);
  const evict = (t: number): void => {
    for (const [k, b] of buckets) if (level(b, t) >= burst) buckets.delete(k);
    // still too many clients, all of them busy: the least recently seen go first (Map keeps insertion order)
    for (const k of buckets.keys()) {
      if (buckets.size < max) break;
      buckets.delete(k);
    }
  };
  const current = (client: string, t: number): { tokens: number; at: number } => {
    const b = buckets.get(client);
    if (!b) return { tokens: burst, at: t };
    buckets.delete(client); // re-inserted by the caller: most recently seen last
    return { tokens: level(b, t), at: t };
  };
  return {
    take(client) {
      const t = now();
      const b = current(client, t);
      if (!buckets.has(client) && buckets.size >= max) evict(t);
      if (b.tokens >= 1) {
        buckets.set(client, { tokens: b.tokens - 1, at: t });
        return { ok: true };
      }
      buckets.set(client, b);
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / rate)) };
    },
    has(client) {
      const b = buckets.get(client);
      return !b || level(b, now()) >= 1;
    },
    get size() {
      return buckets.size;
    },
  };
}
