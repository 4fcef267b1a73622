// Scan on push: what registries send when an image is pushed, turned into image references to scan.
//   - the CNCF distribution registry's notifications (`application/vnd.docker.distribution.events.v1+json`):
//     `{events: [{id, action: "push", target: {mediaType, digest, repository, tag?, url}, request: {host}}]}`;
//     one event per blob and one per manifest — only manifest pushes are images;
//   - Harbor's webhook (`type: "PUSH_ARTIFACT"`, `event_data.resources[].resource_url`);
//   - a plain `{ "image": "REF" }`.
import { InputError } from '../core/errors.ts';
import { isObject } from '../core/json.ts';

export const DISTRIBUTION_EVENTS_MEDIA_TYPE = 'application/vnd.docker.distribution.events.v1+json';

/** Manifest media types that name an image (or an index of images). */
export const IMAGE_MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];

export interface PushedImage {
  /** `host/repository@digest` when the digest is known, else `host/repository:tag` */
  ref: string;
  repository: string;
  digest?: string;
  tag?: string;
  /** where it came from: `distribution`, `harbor` or `plain` */
  via: 'distribution' | 'harbor' | 'plain';
  /** the sender's event id, for deduplicating redelivered events */
  eventId?: string;
}

const str = (v: unknown): v is string => typeof v === 'string' && v !== '';
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** host[:port] of a registry URL such as `http://127.0.0.1:5000/v2/repo/manifests/sha256:…` */
function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host || undefined;
  } catch {
    return undefined;
  }
}

function fromDistribution(events: unknown[]): PushedImage[] {
  const out: PushedImage[] = [];
  for (const e of events) {
    if (!isObject(e) || e.action !== 'push' || !isObject(e.target)) continue;
    const t = e.target;
    if (!str(t.mediaType) || !IMAGE_MANIFEST_TYPES.includes(t.mediaType)) continue; // a blob, not an image
    if (!str(t.repository)) throw new InputError('registry notification: a manifest event has no target.repository');
    const digest = str(t.digest) && DIGEST.test(t.digest) ? t.digest : undefined;
    const tag = str(t.tag) ? t.tag : undefined;
    const host =
      (str(t.url) ? hostOf(t.url) : undefined) ??
      (isObject(e.request) && str(e.request.host) ? e.request.host : undefined);
    if (!host)
      throw new InputError('registry notification: cannot tell the registry host (no target.url or request.host)');
    if (!digest && !tag) throw new InputError('registry notification: a manifest event has neither digest nor tag');
    out.push({
      ref: digest ? `${host}/${t.repository}@${digest}` : `${host}/${t.repository}:${tag}`,
      repository: t.repository,
      digest,
      tag,
      via: 'distribution',
      eventId: str(e.id) ? e.id : undefined,
    });
  }
  return out;
}

function fromHarbor(body: Record<string, unknown>): PushedImage[] {
  const data = body.event_data;
  if (!isObject(data) || !Array.isArray(data.resources))
    throw new InputError('Harbor webhook: event_data.resources is missing');
  const repo =
    isObject(data.repository) && str(data.repository.repo_full_name) ? data.repository.repo_full_name : undefined;
  const out: PushedImage[] = [];
  for (const r of data.resources) {
    if (!isObject(r) || !str(r.resource_url)) throw new InputError('Harbor webhook: a resource has no resource_url');
    const url = r.resource_url;
    const digest = str(r.digest) && DIGEST.test(r.digest) ? r.digest : undefined;
    const tag = str(r.tag) ? r.tag : undefined;
    const slash = url.indexOf('/');
    const host = slash > 0 ? url.slice(0, slash) : '';
    const repository = repo ?? url.slice(slash + 1).replace(/[:@].*$/, '');
    if (!host || !repository)
      throw new InputError(`Harbor webhook: resource_url ${JSON.stringify(url)} names no image`);
    out.push({
      ref: digest ? `${host}/${repository}@${digest}` : url,
      repository,
      digest,
      tag,
      via: 'harbor',
      eventId:
        str(body.occur_at) || typeof body.occur_at === 'number'
          ? `${String(body.occur_at)}:${digest ?? url}`
          : undefined,
    });
  }
  return out;
}

/**
 * The images a push notification names. Throws InputError (→ 400) for a body that is none of the three shapes; a
 * distribution envelope with only blob events gives an empty list (nothing to scan).
 */
export function parsePushNotification(body: unknown): PushedImage[] {
  if (!isObject(body)) throw new InputError('push notification: body is not a JSON object');
  if (Array.isArray(body.events)) return fromDistribution(body.events);
  if (body.type === 'PUSH_ARTIFACT') return fromHarbor(body);
  if (typeof body.type === 'string') return []; // another Harbor event type (DELETE_ARTIFACT, SCANNING_COMPLETED, …)
  if (str(body.image)) {
    const at = body.image.indexOf('@');
    const digest = at > 0 && DIGEST.test(body.image.slice(at + 1)) ? body.image.slice(at + 1) : undefined;
    return [
      { ref: body.image, repository: body.image.replace(/[@].*$/, '').replace(/:[^/:]*$/, ''), digest, via: 'plain' },
    ];
  }
  throw new InputError(
    'push notification: expected {events:[…]} (registry), a Harbor PUSH_ARTIFACT, or {"image": REF}',
  );
}
