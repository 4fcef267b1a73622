// Prometheus text exposition (format 0.0.4): queue depth, job durations, findings by severity per catalog tier.
import { SEVERITIES } from '../core/advisory.ts';
import type { ServiceStore } from '../store/index.ts';
import { TIERS, JOB_NAMES } from '../store/index.ts';

const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

export async function renderMetrics(store: ServiceStore): Promise<string> {
  const lines: string[] = [];
  const stats = await store.jobs.stats();
  lines.push('# HELP zerocve_jobs Jobs in the queue by state.', '# TYPE zerocve_jobs gauge');
  for (const [state, n] of Object.entries(stats)) lines.push(`zerocve_jobs{state="${state}"} ${n}`);

  const durations = await store.jobs.durations(1000);
  lines.push(
    '# HELP zerocve_job_duration_seconds Run time of the last 1000 completed jobs.',
    '# TYPE zerocve_job_duration_seconds summary',
  );
  for (const name of JOB_NAMES) {
    const ds = durations.filter((d) => d.name === name);
    lines.push(`zerocve_job_duration_seconds_sum{job="${name}"} ${ds.reduce((s, d) => s + d.seconds, 0)}`);
    lines.push(`zerocve_job_duration_seconds_count{job="${name}"} ${ds.length}`);
  }

  // findings of each catalog image's newest result for the digests its followed tags point at now
  const counts = new Map<string, number>();
  for (const entry of await store.listCatalog()) {
    const current = new Set<string>();
    const seen = new Set<string>();
    for (const t of await store.tagHistory(entry.repository)) {
      if (seen.has(t.tag)) continue; // history is newest first: the first per tag is where it points now
      seen.add(t.tag);
      current.add(t.digest);
    }
    for (const digest of current) {
      const r = await store.latestResult(digest);
      if (!r) continue;
      for (const s of SEVERITIES) {
        const k = `${entry.tier}\u0000${s}`;
        counts.set(k, (counts.get(k) ?? 0) + (r.verdict.counts[s] ?? 0));
      }
    }
  }
  lines.push(
    '# HELP zerocve_findings Findings shown by policy in the current images of the catalog, by tier and severity.',
    '# TYPE zerocve_findings gauge',
  );
  for (const tier of TIERS)
    for (const s of SEVERITIES)
      lines.push(`zerocve_findings{tier="${esc(tier)}",severity="${s}"} ${counts.get(`${tier}\u0000${s}`) ?? 0}`);
  return lines.join('\n') + '\n';
}
