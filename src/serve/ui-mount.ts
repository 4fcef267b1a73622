// Mounts the web UI (src/ui) on the service: the UI gets the service's own judgement of a digest (catalog policy +
// triage) and its triage validation, so pages and API always agree.
import { findCatalog, type ServiceContext } from './jobs.ts';
import type { ServerOptions } from './http.ts';
import { HttpError, triageFromBody } from './http.ts';
import { policyOptions, judge } from './policy.ts';
import { createUiHandler, type UiHandler } from '../ui/index.ts';

export { isUiPath } from '../ui/index.ts';

export function mountUi(ctx: ServiceContext, options: ServerOptions): UiHandler {
  const store = ctx.store;
  return createUiHandler({
    store,
    anonymousRead: !!options.anonymousRead,
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    async view(digest) {
      const d = await store.getDigest(digest);
      if (!d) throw new HttpError(404, `unknown image digest ${digest}`);
      const result = await store.latestResult(d.digest);
      const entry = d.repository ? await findCatalog(store, d.repository) : undefined;
      const triage = await store.listTriage(d.repository ?? '*');
      const judged = result ? judge(result.findings, policyOptions(entry, triage, d.digest)) : undefined;
      return { d, result, entry, judged };
    },
    async addTriage(body, author) {
      const d = await store.addTriage(triageFromBody(body, author));
      await store.audit({ actor: author, action: 'triage.add', target: d.findingId, detail: d });
      return d;
    },
  });
}
