// OpenVEX input (0.2.0, and the 0.0.x form where `vulnerability` is a string): statements that say a product is
// not_affected by or fixed for a vulnerability suppress the matching findings, with the justification kept.
import { readFileSync } from 'node:fs';
import { InputError } from '../core/errors.ts';

export type VexStatus = 'not_affected' | 'affected' | 'fixed' | 'under_investigation';

export interface VexStatement {
  /** vulnerability name and aliases */
  vulnerabilities: string[];
  /** product purls (or other IRIs), subcomponents included */
  products: string[];
  /** subcomponent purls: when present the statement is about these inside the products */
  subcomponents: string[];
  status: VexStatus;
  justification?: string;
  impactStatement?: string;
  timestamp?: string;
  /** document id + statement index, for explanations */
  where: string;
}

const STATUSES = new Set<VexStatus>(['not_affected', 'affected', 'fixed', 'under_investigation']);

function ids(component: unknown): string[] {
  if (typeof component === 'string') return [component];
  if (!component || typeof component !== 'object') return [];
  const c = component as { '@id'?: string; identifiers?: { purl?: string; cpe22?: string; cpe23?: string } };
  return [c['@id'], c.identifiers?.purl, c.identifiers?.cpe23, c.identifiers?.cpe22].filter(
    (x): x is string => typeof x === 'string',
  );
}

export function parseOpenVex(json: unknown, file: string): VexStatement[] {
  const doc = json as { '@id'?: string; '@context'?: string; statements?: unknown[]; timestamp?: string };
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.statements))
    throw new InputError(`VEX ${file}: not an OpenVEX document (no 'statements' list)`);
  if (typeof doc['@context'] === 'string' && !doc['@context'].includes('openvex'))
    throw new InputError(`VEX ${file}: @context ${doc['@context']} is not OpenVEX`);
  return doc.statements.map((s, i) => {
    const st = s as Record<string, unknown>;
    const where = `${file}#statements[${i}]`;
    const v = st.vulnerability;
    const vulnerabilities =
      typeof v === 'string'
        ? [v]
        : v && typeof v === 'object'
          ? [
              (v as { name?: string }).name,
              (v as { '@id'?: string })['@id'],
              ...((v as { aliases?: string[] }).aliases ?? []),
            ].filter((x): x is string => typeof x === 'string')
          : [];
    if (!vulnerabilities.length) throw new InputError(`VEX ${where}: statement names no vulnerability`);
    const status = st.status as VexStatus;
    if (!STATUSES.has(status)) throw new InputError(`VEX ${where}: unknown status '${String(st.status)}'`);
    const productsRaw = Array.isArray(st.products) ? st.products : [];
    const products = productsRaw.flatMap(ids);
    const subcomponents = [
      ...productsRaw.flatMap((p) =>
        p && typeof p === 'object' && Array.isArray((p as { subcomponents?: unknown[] }).subcomponents)
          ? (p as { subcomponents: unknown[] }).subcomponents.flatMap(ids)
          : [],
      ),
      ...(Array.isArray(st.subcomponents) ? st.subcomponents.flatMap(ids) : []),
    ];
    if (!products.length) throw new InputError(`VEX ${where}: statement names no product`);
    return {
      vulnerabilities,
      products,
      subcomponents,
      status,
      justification: typeof st.justification === 'string' ? st.justification : undefined,
      impactStatement: typeof st.impact_statement === 'string' ? st.impact_statement : undefined,
      timestamp: typeof st.timestamp === 'string' ? st.timestamp : doc.timestamp,
      where,
    };
  });
}

export function readOpenVex(path: string): VexStatement[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError(`VEX ${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      cause: err,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputError(`VEX ${path}: not JSON: ${(err as Error).message}`, { cause: err });
  }
  return parseOpenVex(json, path);
}
