// `catalog.yaml`: the catalog declared as code (kept in git by the platform team). The service puts every entry
// of the file and removes entries the file no longer lists, so the service stays in step with the file.
//
//   images:
//     - repository: registry.example/ml/torch
//       tier: golden            # golden | candidate | deprecated | blocked
//       owner: platform
//       description: PyTorch CPU runtime
//       tags: [latest, "2.4"]
//       policy: { failOn: high, ignore: [{ id: CVE-2024-1, reason: "not reachable" }], vex: [vex/torch.json] }
//       replacement: registry.example/ml/torch2   # for deprecated entries
//       build: { spec: images/torch.yaml, tag: "2.4" }  # fresh builds: image.yaml (next to this file) and tag
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { UsageError } from '../core/errors.ts';
import { repositoryKey } from '../image/index.ts';
import type { CatalogEntry, ServiceStore } from '../store/index.ts';
import { catalogFromBody, HttpError } from './http.ts';

export function parseCatalogFile(text: string, file: string): Omit<CatalogEntry, 'updatedAt'>[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new UsageError(`catalog ${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  const images = (doc as { images?: unknown } | null)?.images;
  if (!Array.isArray(images)) throw new UsageError(`catalog ${file}: expected a list under 'images:'`);
  const seen = new Set<string>();
  return images.map((img, i) => {
    const where = `catalog ${file}: images[${i}]`;
    const repo = (img as { repository?: unknown })?.repository;
    if (typeof repo !== 'string' || !repo) throw new UsageError(`${where}: 'repository' is required`);
    // `nginx` and `docker.io/library/nginx` are one repository
    if (seen.has(repositoryKey(repo))) throw new UsageError(`${where}: ${repo} is listed twice`);
    seen.add(repositoryKey(repo));
    const { repository: _r, ...rest } = img as Record<string, unknown>;
    try {
      const entry = catalogFromBody(repo, rest);
      // an image.yaml is found next to the catalog that names it
      if (entry.build) entry.build = { ...entry.build, spec: resolve(dirname(resolve(file)), entry.build.spec) };
      return entry;
    } catch (err) {
      if (err instanceof HttpError || err instanceof UsageError)
        throw new UsageError(`${where} (${repo}): ${err.message}`);
      throw err;
    }
  });
}

export async function syncCatalogFile(store: ServiceStore, path: string): Promise<{ put: number; removed: string[] }> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(
      `catalog ${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const entries = parseCatalogFile(text, path);
  const wanted = new Set(entries.map((e) => e.repository));
  for (const e of entries) await store.putCatalog(e);
  const removed: string[] = [];
  for (const e of await store.listCatalog())
    if (!wanted.has(e.repository)) {
      await store.deleteCatalog(e.repository);
      removed.push(e.repository);
    }
  await store.audit({
    actor: 'catalog.yaml',
    action: 'catalog.sync',
    target: path,
    detail: { put: entries.length, removed },
  });
  return { put: entries.length, removed };
}
