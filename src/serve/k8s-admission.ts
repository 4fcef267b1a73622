// Kubernetes validating admission (`admission.k8s.io/v1` AdmissionReview), as the API server speaks it: a POST with
// an AdmissionReview whose `request` carries the object; the answer is an AdmissionReview of the same version with
// `response.uid` copied from the request, `allowed`, a `status` ({code, message}) shown to the user when denied, and
// `warnings` shown by kubectl. Decisions use stored results only: this file never scans and never pulls.
import type { Severity } from '../core/advisory.ts';
import { severityRank, SEVERITIES } from '../core/advisory.ts';
import { InputError } from '../core/errors.ts';
import { isObject } from '../core/json.ts';
import { imageKey } from '../image/index.ts';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** The parts of `AdmissionReview.request` the decision reads. */
export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  namespace?: string;
  name?: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  object: Record<string, unknown> | null;
  dryRun: boolean;
}

/** One container image in a workload, with where it was found. */
export interface WorkloadImage {
  image: string;
  container: string;
  /** `containers`, `initContainers` or `ephemeralContainers` */
  list: 'containers' | 'initContainers' | 'ephemeralContainers';
}

/**
 * What the service knows of an image, from stored results only. `undefined` from the lookup: never seen; without
 * `scannedAt`: known (in the catalog, or its tag resolved to a digest) but never scanned.
 */
export interface ImageStatus {
  /** the reference as written in the workload */
  ref: string;
  /** resolved digest, when known */
  digest?: string;
  catalog?: { repository: string; tier: 'golden' | 'candidate' | 'deprecated' | 'blocked'; replacement?: string };
  /** policy verdict of the latest scan of this digest */
  verdict?: 'pass' | 'fail';
  findings?: Record<Severity, number>;
  scannedAt?: string;
}

export interface AdmissionPolicy {
  /** `enforce` denies; `audit` only warns */
  mode: 'enforce' | 'audit';
  /** what an image must satisfy; every rule set must hold */
  require: {
    /** in the catalog and its latest verdict passes */
    catalogPass?: boolean;
    /** in the catalog with tier `golden` */
    golden?: boolean;
    /** no finding at or above this severity */
    belowSeverity?: Severity;
    /** scanned within this many hours */
    maxScanAgeHours?: number;
  };
  /** an image never scanned: deny it, or admit it with a warning and queue a scan */
  unknownImage: 'deny' | 'warn-and-scan';
  exemptNamespaces: string[];
  /** image references (exact, or ending in `*` for a prefix) admitted without checks */
  exemptImages: string[];
}

export const DEFAULT_ADMISSION_POLICY: AdmissionPolicy = {
  mode: 'enforce',
  require: { catalogPass: true },
  unknownImage: 'deny',
  exemptNamespaces: ['kube-system'],
  exemptImages: [],
};

export interface AdmissionDecision {
  allowed: boolean;
  /** for the `status.message` of a denial: which image, which rule, what to use instead */
  message?: string;
  warnings: string[];
  /** unknown images to queue for a scan (always empty for dryRun requests: no side effects) */
  toScan: string[];
  /** per image, what was decided (for the audit log and tests) */
  images: { image: string; container: string; ok: boolean; reasons: string[] }[];
}

const str = (v: unknown): v is string => typeof v === 'string';

/** Parse an AdmissionReview body; throws InputError (→ 400) naming what is wrong. */
export function parseAdmissionReview(body: unknown): AdmissionRequest {
  if (!isObject(body)) throw new InputError('AdmissionReview: body is not a JSON object');
  if (body.kind !== 'AdmissionReview') throw new InputError(`AdmissionReview: kind is ${JSON.stringify(body.kind)}`);
  if (body.apiVersion !== ADMISSION_API_VERSION)
    throw new InputError(
      `AdmissionReview: apiVersion ${JSON.stringify(body.apiVersion)} is not supported (send ${ADMISSION_API_VERSION})`,
    );
  const r = body.request;
  if (!isObject(r)) throw new InputError('AdmissionReview: request is missing');
  if (!str(r.uid) || r.uid === '') throw new InputError('AdmissionReview: request.uid is missing');
  const k = r.kind;
  if (!isObject(k) || !str(k.kind) || !str(k.version))
    throw new InputError('AdmissionReview: request.kind is not a group/version/kind');
  const op = r.operation;
  if (op !== 'CREATE' && op !== 'UPDATE' && op !== 'DELETE' && op !== 'CONNECT')
    throw new InputError(
      `AdmissionReview: request.operation ${JSON.stringify(op)} is not CREATE/UPDATE/DELETE/CONNECT`,
    );
  if (r.object !== undefined && r.object !== null && !isObject(r.object))
    throw new InputError('AdmissionReview: request.object is not an object');
  return {
    uid: r.uid,
    kind: { group: str(k.group) ? k.group : '', version: k.version, kind: k.kind },
    namespace: str(r.namespace) && r.namespace !== '' ? r.namespace : undefined,
    name: str(r.name) && r.name !== '' ? r.name : undefined,
    operation: op,
    object: isObject(r.object) ? r.object : null,
    dryRun: r.dryRun === true,
  };
}

/** Path from the object to its pod spec, per workload kind (group/kind). */
const POD_SPEC_PATHS: Record<string, string[]> = {
  '/Pod': ['spec'],
  '/ReplicationController': ['spec', 'template', 'spec'],
  '/PodTemplate': ['template', 'spec'],
  'apps/Deployment': ['spec', 'template', 'spec'],
  'apps/StatefulSet': ['spec', 'template', 'spec'],
  'apps/DaemonSet': ['spec', 'template', 'spec'],
  'apps/ReplicaSet': ['spec', 'template', 'spec'],
  'batch/Job': ['spec', 'template', 'spec'],
  'batch/CronJob': ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** Workload kinds whose images are checked (everything else is admitted untouched). */
export const ADMISSION_KINDS = Object.keys(POD_SPEC_PATHS);

/**
 * Every container image of a workload object: containers, init containers and ephemeral containers.
 * Returns undefined for kinds that carry no pod spec; throws InputError for a pod spec of the wrong shape.
 */
export function workloadImages(kind: GroupVersionKind, object: Record<string, unknown>): WorkloadImage[] | undefined {
  const path = POD_SPEC_PATHS[`${kind.group}/${kind.kind}`];
  if (!path) return undefined;
  let spec: unknown = object;
  for (const key of path) spec = isObject(spec) ? spec[key] : undefined;
  if (!isObject(spec)) throw new InputError(`${kind.kind}: no pod spec at ${path.join('.')}`);
  const out: WorkloadImage[] = [];
  for (const list of ['containers', 'initContainers', 'ephemeralContainers'] as const) {
    const items = spec[list];
    if (items === undefined || items === null) continue;
    if (!Array.isArray(items)) throw new InputError(`${kind.kind}: ${path.join('.')}.${list} is not a list`);
    for (const c of items) {
      if (!isObject(c) || !str(c.image) || c.image === '')
        throw new InputError(`${kind.kind}: a container in ${list} has no image`);
      out.push({ image: c.image, container: str(c.name) ? c.name : '?', list });
    }
  }
  return out;
}

const matches = (patterns: string[], image: string): boolean =>
  patterns.some((p) => (p.endsWith('*') ? image.startsWith(p.slice(0, -1)) : image === p));

/** An exempt image, as written or normalized (`nginx:1` is also `docker.io/library/nginx:1`). */
function exempt(patterns: string[], image: string): boolean {
  if (matches(patterns, image)) return true;
  try {
    return matches(patterns, imageKey(image).canonical);
  } catch {
    return false;
  }
}

function worstAtOrAbove(findings: Record<Severity, number> | undefined, threshold: Severity): [Severity, number][] {
  if (!findings) return [];
  return SEVERITIES.filter((s) => s !== 'unknown' && severityRank(s) >= severityRank(threshold))
    .map((s) => [s, findings[s] ?? 0] as [Severity, number])
    .filter(([, n]) => n > 0);
}

/** The reasons an image fails the policy (empty: it passes). Pure: the status comes from stored results. */
export function imageViolations(status: ImageStatus, policy: AdmissionPolicy, now: Date): string[] {
  const reasons: string[] = [];
  const req = policy.require;
  const tier = status.catalog?.tier;
  if (tier === 'blocked') reasons.push('is blocked in the catalog');
  if (req.golden && tier !== 'golden') reasons.push(tier ? `is ${tier}, not golden` : 'is not in the catalog');
  if (req.catalogPass && !req.golden && !status.catalog) reasons.push('is not in the catalog');
  if (req.catalogPass && status.verdict === 'fail') reasons.push('fails its policy');
  if (req.catalogPass && status.verdict === undefined) reasons.push('has no scan result');
  if (req.belowSeverity) {
    const worst = worstAtOrAbove(status.findings, req.belowSeverity);
    if (worst.length) reasons.push(`has ${worst.map(([s, n]) => `${n} ${s}`).join(', ')} finding(s)`);
  }
  if (req.maxScanAgeHours !== undefined) {
    const at = status.scannedAt ? Date.parse(status.scannedAt) : NaN;
    if (Number.isNaN(at)) reasons.push('was never scanned');
    else if ((now.getTime() - at) / 3_600_000 > req.maxScanAgeHours)
      reasons.push(
        `was last scanned ${Math.floor((now.getTime() - at) / 3_600_000)} h ago (limit ${req.maxScanAgeHours} h)`,
      );
  }
  return reasons;
}

/**
 * Decide one admission request from stored results. `statuses` maps each image reference of the workload to what the
 * service knows (undefined: unknown). DELETE and CONNECT, kinds without pods and exempt namespaces are admitted.
 */
export function decideAdmission(
  req: AdmissionRequest,
  policy: AdmissionPolicy,
  statuses: ReadonlyMap<string, ImageStatus | undefined>,
  now: Date,
): AdmissionDecision {
  const none: AdmissionDecision = { allowed: true, warnings: [], toScan: [], images: [] };
  if (req.operation === 'DELETE' || req.operation === 'CONNECT' || !req.object) return none;
  if (req.namespace && policy.exemptNamespaces.includes(req.namespace)) return none;
  const images = workloadImages(req.kind, req.object);
  if (!images) return none;
  const decision: AdmissionDecision = { allowed: true, warnings: [], toScan: [], images: [] };
  const denials: string[] = [];
  for (const img of images) {
    if (exempt(policy.exemptImages, img.image)) {
      decision.images.push({ image: img.image, container: img.container, ok: true, reasons: ['exempt'] });
      continue;
    }
    const status = statuses.get(img.image);
    let reasons: string[];
    // never scanned (not even its digest, when the tag was resolved): the unknown-image rule, unless it is blocked
    if (!status || (status.scannedAt === undefined && status.catalog?.tier !== 'blocked')) {
      reasons = [`was never scanned by zerocve${status?.digest ? ` (it is ${status.digest})` : ''}`];
      if (policy.unknownImage === 'warn-and-scan') {
        if (!req.dryRun && !decision.toScan.includes(img.image)) decision.toScan.push(img.image);
        const it = status?.digest ? ` (it is ${status.digest})` : '';
        const queued = req.dryRun ? 'a scan would be queued (dryRun: nothing was)' : 'queued for a scan';
        decision.warnings.push(`image ${img.image} (container ${img.container}) is unknown${it}; ${queued}`);
        decision.images.push({ image: img.image, container: img.container, ok: true, reasons });
        continue;
      }
    } else reasons = imageViolations(status, policy, now);
    const ok = reasons.length === 0;
    decision.images.push({ image: img.image, container: img.container, ok, reasons });
    if (ok) {
      if (status?.catalog?.tier === 'deprecated')
        decision.warnings.push(
          `image ${img.image} is deprecated${status.catalog.replacement ? `: use ${status.catalog.replacement}` : ''}`,
        );
      continue;
    }
    const instead = status?.catalog?.replacement ? `; use ${status.catalog.replacement} instead` : '';
    const line = `image ${img.image} (container ${img.container}) ${reasons.join(' and ')}${instead}`;
    if (policy.mode === 'audit') decision.warnings.push(`[audit] ${line}`);
    else denials.push(line);
  }
  if (denials.length) {
    decision.allowed = false;
    decision.message = `zerocve denied ${req.kind.kind}${req.name ? ` ${req.name}` : ''}: ${denials.join('; ')}`;
  }
  return decision;
}

/** The AdmissionReview answer: same apiVersion and kind, `response.uid` copied from the request. */
export function admissionResponse(uid: string, decision: Pick<AdmissionDecision, 'allowed' | 'message' | 'warnings'>) {
  return {
    apiVersion: ADMISSION_API_VERSION,
    kind: 'AdmissionReview',
    response: {
      uid,
      allowed: decision.allowed,
      ...(decision.allowed ? {} : { status: { code: 403, message: decision.message ?? 'denied by zerocve' } }),
      ...(decision.warnings.length ? { warnings: decision.warnings } : {}),
    },
  };
}
