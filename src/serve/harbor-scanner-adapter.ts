// Harbor Pluggable Scanner API v1.2 (goharbor/pluggable-scanner-spec, `scanner-adapter-openapi-v1.2.yaml`):
//   GET  /api/v1/metadata                 → ScannerAdapterMetadata (capabilities: vulnerability and sbom)
//   POST /api/v1/scan                     → 202 ScanResponse {id}; only enqueues (Harbor's client gives up after 5 s)
//   GET  /api/v1/scan/{id}/report         → 200 report of the Accept'ed type, 302 + Refresh-After while running,
//                                           404 for an unknown id; `sbom_media_type` selects the SBOM format
// Errors carry `{error: {message}}` as `application/vnd.scanner.adapter.error+json; version=1.0`.
// This file is the protocol only: request parsing, media types and response bodies; the service owns the jobs.
import { InputError } from '../core/errors.ts';
import { isObject } from '../core/json.ts';

export const HARBOR_MEDIA = {
  metadata: 'application/vnd.scanner.adapter.metadata+json; version=1.1',
  scanRequest10: 'application/vnd.scanner.adapter.scan.request+json; version=1.0',
  scanRequest11: 'application/vnd.scanner.adapter.scan.request+json; version=1.1',
  scanResponse: 'application/vnd.scanner.adapter.scan.response+json; version=1.0',
  error: 'application/vnd.scanner.adapter.error+json; version=1.0',
  vulnHarbor: 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0',
  vuln11: 'application/vnd.security.vulnerability.report; version=1.1',
  vulnRaw: 'application/vnd.scanner.adapter.vuln.report.raw',
  sbom: 'application/vnd.security.sbom.report+json; version=1.0',
} as const;

export const SBOM_MEDIA_TYPES = ['application/spdx+json', 'application/vnd.cyclonedx+json'] as const;
export type SbomMediaType = (typeof SBOM_MEDIA_TYPES)[number];
/** what the adapter produces: the service stores CycloneDX SBOMs (an SPDX report is answered 400) */
export const PRODUCED_SBOM_MEDIA_TYPES: readonly SbomMediaType[] = ['application/vnd.cyclonedx+json'];

const CONSUMES = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'];

/** A protocol error with the HTTP status the spec gives it. */
export class HarborProtocolError extends InputError {
  readonly status: 400 | 404 | 422 | 501;
  constructor(status: 400 | 404 | 422 | 501, message: string) {
    super(message);
    this.status = status;
  }
}

export function harborMetadata(version: string, dbUpdatedAt?: string) {
  return {
    scanner: { name: 'zerocve', vendor: 'zerocve', version },
    capabilities: [
      {
        type: 'vulnerability',
        consumes_mime_types: CONSUMES,
        produces_mime_types: [HARBOR_MEDIA.vulnHarbor, HARBOR_MEDIA.vuln11, HARBOR_MEDIA.vulnRaw],
      },
      {
        type: 'sbom',
        consumes_mime_types: CONSUMES,
        produces_mime_types: [HARBOR_MEDIA.sbom],
        additional_attributes: { sbom_media_types: [...PRODUCED_SBOM_MEDIA_TYPES] },
      },
    ],
    properties: {
      'harbor.scanner-adapter/scanner-type': 'os-package-vulnerability',
      ...(dbUpdatedAt ? { 'harbor.scanner-adapter/vulnerability-database-updated-at': dbUpdatedAt } : {}),
      'org.zerocve/analyses': 'vulnerabilities, sbom, attack surface, bloat, GPU device code, model files',
    },
  };
}

export interface HarborScanRequest {
  /** image reference to pull: `host/repository@digest` */
  ref: string;
  /** plain HTTP registry (`registry.url` is http://) */
  insecure: boolean;
  /** the Authorization header value for this pull only; never stored or logged */
  authorization?: string;
  artifact: { repository: string; digest: string; tag?: string; mime_type?: string };
  /** capabilities asked for (both when the request does not say) */
  capabilities: ('vulnerability' | 'sbom')[];
}

const str = (v: unknown): v is string => typeof v === 'string' && v !== '';

/**
 * Parse a ScanRequest. Throws HarborProtocolError: 400 for a body that is not JSON of the right types, 422 for an
 * invalid field (the spec's split), 501 for an artifact type zerocve cannot scan.
 */
export function parseHarborScanRequest(body: unknown): HarborScanRequest {
  if (!isObject(body)) throw new HarborProtocolError(400, 'scan request: body is not a JSON object');
  const reg = body.registry;
  const art = body.artifact;
  if (!isObject(reg) || !isObject(art))
    throw new HarborProtocolError(400, 'scan request: registry and artifact are required objects');
  if (!str(reg.url)) throw new HarborProtocolError(422, 'scan request: registry.url is missing');
  let url: URL;
  try {
    url = new URL(reg.url);
  } catch {
    throw new HarborProtocolError(422, `scan request: registry.url ${JSON.stringify(reg.url)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new HarborProtocolError(422, 'scan request: registry.url must be http or https');
  if (reg.authorization !== undefined && typeof reg.authorization !== 'string')
    throw new HarborProtocolError(400, 'scan request: registry.authorization must be a string');
  if (!str(art.repository)) throw new HarborProtocolError(422, 'scan request: artifact.repository is missing');
  if (!str(art.digest) || !/^sha256:[a-f0-9]{64}$/.test(art.digest))
    throw new HarborProtocolError(422, 'scan request: artifact.digest must be sha256:<64 hex>');
  if (art.mime_type !== undefined && (!str(art.mime_type) || !CONSUMES.includes(art.mime_type)))
    throw new HarborProtocolError(
      501,
      `scan request: artifact type ${JSON.stringify(art.mime_type)} is not scanned by zerocve`,
    );
  let capabilities: ('vulnerability' | 'sbom')[] = ['vulnerability', 'sbom'];
  if (body.enabled_capabilities !== undefined) {
    if (!Array.isArray(body.enabled_capabilities))
      throw new HarborProtocolError(400, 'scan request: enabled_capabilities must be a list');
    capabilities = [];
    for (const c of body.enabled_capabilities) {
      if (!isObject(c) || (c.type !== 'vulnerability' && c.type !== 'sbom'))
        throw new HarborProtocolError(422, 'scan request: enabled_capabilities[].type must be vulnerability or sbom');
      capabilities.push(c.type);
    }
  }
  return {
    ref: `${url.host}/${art.repository}@${art.digest}`,
    insecure: url.protocol === 'http:',
    authorization: str(reg.authorization) ? reg.authorization : undefined,
    artifact: {
      repository: art.repository,
      digest: art.digest,
      ...(str(art.tag) ? { tag: art.tag } : {}),
      ...(str(art.mime_type) ? { mime_type: art.mime_type } : {}),
    },
    capabilities,
  };
}

/** Basic credentials from an Authorization header value (`Basic base64(user:pass)`), else undefined. */
export function basicCredentials(
  authorization: string | undefined,
): { username: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? undefined : { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/**
 * The pull credentials of a scan request's `registry.authorization` (the spec: "Basic base64(user:pass)" of a robot
 * account, or "Bearer TOKEN", a registry token issued for the pull); undefined for anything else.
 */
export function registryAuth(
  authorization: string | undefined,
): { username: string; password: string } | { token: string } | undefined {
  const bearer = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(authorization ?? '');
  if (bearer) return { token: bearer[1] };
  return basicCredentials(authorization);
}

export type HarborReportKind =
  { kind: 'vulnerability'; mediaType: string } | { kind: 'sbom'; sbomMediaType: SbomMediaType };

/**
 * Which report a GET …/report asks for, from its Accept header and `sbom_media_type` query parameter. A missing or
 * wildcard Accept means Harbor's default vulnerability report. Throws 400 (SBOM without a valid sbom_media_type) or
 * 501 (a media type zerocve does not produce).
 */
export function negotiateHarborReport(accept: string | undefined, sbomMediaType: string | null): HarborReportKind {
  const wanted = (accept ?? '')
    .split(',')
    .map((s) => s.trim().replace(/\s*;\s*/g, '; '))
    .filter(Boolean);
  if (wanted.length === 0 || wanted.some((w) => w === '*/*' || w === 'application/json'))
    return { kind: 'vulnerability', mediaType: HARBOR_MEDIA.vulnHarbor };
  for (const w of wanted) {
    if (w === HARBOR_MEDIA.sbom) {
      if (!sbomMediaType || !(SBOM_MEDIA_TYPES as readonly string[]).includes(sbomMediaType))
        throw new HarborProtocolError(
          400,
          `report: an SBOM report needs ?sbom_media_type=${SBOM_MEDIA_TYPES.join(' or ')}`,
        );
      return { kind: 'sbom', sbomMediaType: sbomMediaType as SbomMediaType };
    }
    if (w === HARBOR_MEDIA.vulnHarbor || w === HARBOR_MEDIA.vuln11 || w === HARBOR_MEDIA.vulnRaw)
      return { kind: 'vulnerability', mediaType: w };
  }
  throw new HarborProtocolError(501, `report: zerocve does not produce ${wanted.join(', ')}`);
}

export const harborError = (message: string) => ({ error: { message } });
