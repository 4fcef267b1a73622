// Gatekeeper external data provider: Gatekeeper POSTs a `ProviderRequest` with a batch of keys (here: image
// references) and expects a `ProviderResponse` with one item per key — `{key, value}` or `{key, error}` — and a
// `systemError` when the whole request failed. Values are what a ConstraintTemplate's Rego reads.
import { InputError } from '../core/errors.ts';
import { isObject } from '../core/json.ts';

export const EXTERNAL_DATA_API_VERSION = 'externaldata.gatekeeper.sh/v1beta1';
/** Gatekeeper has sent both versions; the request's apiVersion is echoed back. */
const ACCEPTED_VERSIONS = ['externaldata.gatekeeper.sh/v1beta1', 'externaldata.gatekeeper.sh/v1alpha1'];
/** more keys than this in one request is refused (one admission review carries a handful of images) */
export const MAX_KEYS = 1000;

export interface ProviderRequest {
  apiVersion: string;
  keys: string[];
}

export interface ProviderItem {
  key: string;
  value?: unknown;
  error?: string;
}

/** Parse a ProviderRequest body; throws InputError (→ 400). */
export function parseProviderRequest(body: unknown): ProviderRequest {
  if (!isObject(body)) throw new InputError('ProviderRequest: body is not a JSON object');
  if (body.kind !== 'ProviderRequest') throw new InputError(`ProviderRequest: kind is ${JSON.stringify(body.kind)}`);
  const apiVersion = typeof body.apiVersion === 'string' ? body.apiVersion : '';
  if (!ACCEPTED_VERSIONS.includes(apiVersion))
    throw new InputError(`ProviderRequest: apiVersion ${JSON.stringify(body.apiVersion)} is not supported`);
  const req = body.request;
  if (!isObject(req) || !Array.isArray(req.keys)) throw new InputError('ProviderRequest: request.keys is not a list');
  if (req.keys.length > MAX_KEYS) throw new InputError(`ProviderRequest: more than ${MAX_KEYS} keys`);
  if (!req.keys.every((k): k is string => typeof k === 'string'))
    throw new InputError('ProviderRequest: every key must be a string');
  return { apiVersion, keys: req.keys };
}

/** The ProviderResponse; `idempotent` is true because answers depend on stored results only. */
export function providerResponse(apiVersion: string, items: ProviderItem[], systemError?: string) {
  return {
    apiVersion,
    kind: 'ProviderResponse',
    response: {
      idempotent: true,
      items: items.map((i) => ({ key: i.key, ...(i.error ? { error: i.error } : { value: i.value }) })),
      ...(systemError ? { systemError } : {}),
    },
  };
}
