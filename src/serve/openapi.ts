// The API's OpenAPI 3.1 document, served at /api/v1/openapi.json. Tests validate it against the official schema
// and check every response they receive against it.
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const error = (description: string) => json(ref('Error'), description);
const tooMany = {
  ...error('Over the rate limit (`--rate-limit`): per token, or per client address without a token'),
  headers: { 'Retry-After': { description: 'seconds until a request is allowed', schema: { type: 'integer' } } },
};
const errors = {
  '400': error('Bad input'),
  '401': error('No or unknown token'),
  '403': error('The token lacks the role'),
  '404': error('Not found'),
  '429': tooMany,
};
const list = (item: string) => ({
  type: 'object',
  required: ['items'],
  properties: { items: { type: 'array', items: ref(item) } },
});
const pathParam = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});
const query = (name: string, description: string, schema: unknown = { type: 'string' }) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
});
/** GET of one summary the scan stored with a digest (surface, bloat) */
const storedSummary = (key: string, what: string, schema: string) => ({
  parameters: [pathParam('digest', 'manifest digest sha256:…')],
  get: {
    description: `The ${what} summary stored by the scan (404 for a digest scanned from an SBOM).`,
    responses: {
      '200': json({
        type: 'object',
        required: ['digest', key],
        properties: { digest: { type: 'string' }, repository: { type: 'string' }, [key]: ref(schema) },
      }),
      ...errors,
    },
  },
});
const severity = { type: 'string', enum: ['critical', 'high', 'medium', 'low', 'negligible', 'unknown'] };
const counts = {
  type: 'object',
  properties: Object.fromEntries(severity.enum.map((s) => [s, { type: 'integer' }])),
};
const findingState = {
  type: 'object',
  required: ['severity', 'fixState', 'fixedVersions'],
  properties: { severity, fixState: { type: 'string' }, fixedVersions: { type: 'array', items: { type: 'string' } } },
};
const job = {
  type: 'object',
  required: ['id', 'name', 'key', 'state', 'attempts', 'createdAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string', enum: ['scan', 'rematch', 'build'] },
    key: { type: 'string' },
    data: { type: 'object' },
    state: { type: 'string', enum: ['queued', 'active', 'retry', 'completed', 'failed'] },
    attempts: { type: 'integer' },
    error: { type: 'string' },
    output: {},
    createdAt: { type: 'string', format: 'date-time' },
    finishedAt: { type: 'string', format: 'date-time' },
  },
};
const accepted = {
  type: 'object',
  required: ['job', 'deduplicated'],
  properties: { job: ref('Job'), deduplicated: { type: 'boolean' } },
};
const catalogEntryInput = {
  type: 'object',
  required: ['tier'],
  properties: {
    tier: { type: 'string', enum: ['golden', 'candidate', 'deprecated', 'blocked'] },
    owner: { type: 'string' },
    description: { type: 'string' },
    policy: {
      type: 'object',
      properties: {
        failOn: severity,
        ignore: { type: 'array', items: { type: 'object' } },
        vex: { type: 'array', items: { type: 'string' } },
      },
    },
    replacement: { type: 'string' },
    tags: { type: 'array', items: { type: 'string' } },
    build: {
      description:
        'fresh builds: the image.yaml (`zerocve build` input) and the tag a passing rebuild is pushed to (with a ' +
        'dated tag TAG-YYYYMMDD). A string is the image.yaml alone (tag: the first of `tags`, else latest).',
      oneOf: [
        { type: 'string' },
        {
          type: 'object',
          required: ['spec'],
          additionalProperties: false,
          properties: { spec: { type: 'string' }, tag: { type: 'string', pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*$' } },
        },
      ],
    },
  },
};

const nullableNumber = { type: ['number', 'null'] };
const sizeDelta = {
  type: 'object',
  required: ['from', 'to', 'delta'],
  properties: { from: nullableNumber, to: nullableNumber, delta: nullableNumber },
};
const comparedSide = {
  type: 'object',
  required: ['digest', 'image', 'os'],
  properties: {
    digest: { type: 'string' },
    repository: { type: 'string' },
    image: { type: 'string' },
    os: { type: 'string' },
    dbVersion: { type: 'string' },
  },
};
const comparedPackage = {
  type: 'object',
  required: ['type', 'name', 'versions'],
  properties: {
    type: { type: 'string' },
    name: { type: 'string' },
    versions: { type: 'array', items: { type: 'string' } },
  },
};
const findingRef = {
  type: 'object',
  required: ['id', 'package'],
  properties: { id: { type: 'string' }, package: { type: 'string' } },
};

export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'zerocve serve',
      version: '1',
      description:
        'Golden-image service: catalog, scan results per digest and database version, events, triage and OpenVEX.',
    },
    security: [{ bearer: [] }],
    paths: {
      '/healthz': { get: { security: [], responses: { '200': json({ type: 'object' }) } } },
      '/readyz': {
        get: {
          security: [],
          responses: { '200': json(ref('Readiness')), '503': json(ref('Readiness'), 'Not ready') },
        },
      },
      '/metrics': {
        get: {
          security: [],
          responses: {
            '200': { description: 'Prometheus text', content: { 'text/plain': { schema: { type: 'string' } } } },
          },
        },
      },
      '/api/v1/openapi.json': {
        get: { security: [], responses: { '200': json({ type: 'object' }), '429': tooMany } },
      },
      '/hooks/registry': {
        post: {
          security: [{ hookSecret: [] }],
          description:
            'Scan on push: a CNCF distribution notification envelope ' +
            '(application/vnd.docker.distribution.events.v1+json), a Harbor PUSH_ARTIFACT webhook or {"image": REF}. ' +
            'Needs --hook-secret; answers 404 when it is off.',
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
          responses: {
            '202': json(
              {
                type: 'object',
                required: ['queued', 'ignored'],
                properties: {
                  queued: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['ref', 'job', 'deduplicated'],
                      properties: {
                        ref: { type: 'string' },
                        job: { type: ['string', 'null'] },
                        deduplicated: { type: 'boolean' },
                      },
                    },
                  },
                  ignored: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['ref', 'reason'],
                      properties: { ref: { type: 'string' }, reason: { type: 'string' } },
                    },
                  },
                },
              },
              'Accepted',
            ),
            '400': error('Not a push notification'),
            '401': error('No or wrong hook secret'),
            '404': error('The hook is off (no --hook-secret)'),
          },
        },
      },
      '/admission/validate': {
        post: {
          security: [],
          description:
            'Kubernetes validating admission webhook: an admission.k8s.io/v1 AdmissionReview in, the AdmissionReview ' +
            'with response {uid, allowed, status, warnings} out. Decides from stored results only.',
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
          responses: {
            '200': json({
              type: 'object',
              required: ['apiVersion', 'kind', 'response'],
              properties: {
                apiVersion: { const: 'admission.k8s.io/v1' },
                kind: { const: 'AdmissionReview' },
                response: {
                  type: 'object',
                  required: ['uid', 'allowed'],
                  properties: {
                    uid: { type: 'string' },
                    allowed: { type: 'boolean' },
                    status: { type: 'object', properties: { code: { type: 'integer' }, message: { type: 'string' } } },
                    warnings: { type: 'array', items: { type: 'string' } },
                  },
                },
              },
            }),
            '400': error('Not an AdmissionReview v1'),
          },
        },
      },
      '/gatekeeper/provide': {
        post: {
          security: [],
          description:
            'Gatekeeper external-data provider: a ProviderRequest with image references as keys, ' +
            'a ProviderResponse with one item per key.',
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
          responses: {
            '200': json({
              type: 'object',
              required: ['apiVersion', 'kind', 'response'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { const: 'ProviderResponse' },
                response: {
                  type: 'object',
                  required: ['items'],
                  properties: {
                    idempotent: { type: 'boolean' },
                    items: {
                      type: 'array',
                      items: {
                        type: 'object',
                        required: ['key'],
                        properties: { key: { type: 'string' }, value: {}, error: { type: 'string' } },
                      },
                    },
                    systemError: { type: 'string' },
                  },
                },
              },
            }),
            '400': error('Not a ProviderRequest'),
          },
        },
      },
      '/api/v1/catalog': { get: { responses: { '200': json(list('CatalogEntry')), ...errors } } },
      '/api/v1/catalog/{repository}/build': {
        parameters: [pathParam('repository', 'repository, URL-encoded (slashes as %2F or plain)')],
        post: {
          description:
            'Queue a fresh build (admin): `build --check` of the image the tag names; when a package has a newer ' +
            'version or the image is missing, rebuild, scan, apply the policy and push only if it passes. Only ' +
            'workers that can build (root and mmdebstrap) take build jobs. The outcome is a BuildRecord.',
          responses: {
            '202': json(accepted, 'Queued (or already queued: deduplicated)'),
            '409': error('The entry has no build source'),
            ...errors,
          },
        },
      },
      '/api/v1/catalog/{repository}/builds': {
        parameters: [pathParam('repository', 'repository, URL-encoded (slashes as %2F or plain)')],
        get: {
          description: "The entry's fresh-build runs, most recent first: fresh, pushed, rejected (policy) or failed.",
          responses: { '200': json(list('BuildRecord')), ...errors },
        },
      },
      '/api/v1/catalog/{repository}': {
        parameters: [pathParam('repository', 'repository, URL-encoded (slashes as %2F or plain)')],
        get: { responses: { '200': json(ref('CatalogEntryWithHistory')), ...errors } },
        put: {
          requestBody: { required: true, content: { 'application/json': { schema: catalogEntryInput } } },
          responses: { '200': json(ref('CatalogEntry')), '413': error('Body too large'), ...errors },
        },
        delete: { responses: { '204': { description: 'Deleted' }, ...errors } },
      },
      '/api/v1/images': {
        get: {
          parameters: [query('repository', 'only this repository')],
          responses: { '200': json(list('ImageListItem')), ...errors },
        },
      },
      '/api/v1/images/{digest}': {
        parameters: [pathParam('digest', 'manifest digest sha256:…')],
        get: { responses: { '200': json(ref('ImageSummary')), ...errors } },
      },
      '/api/v1/images/{digest}/findings': {
        parameters: [pathParam('digest', 'manifest digest sha256:…')],
        get: {
          parameters: [
            query('severity', 'comma-separated severities'),
            query('package', 'package name or purl'),
            query('id', 'vulnerability id or alias'),
            query('fixable', 'only findings with (true) or without (false) a fixed version', {
              type: 'string',
              enum: ['true', 'false'],
            }),
            query('include', '`suppressed` also lists findings hidden by policy or triage', {
              type: 'string',
              enum: ['suppressed'],
            }),
          ],
          responses: { '200': json(ref('Findings')), ...errors },
        },
      },
      '/api/v1/images/{digest}/sbom': {
        parameters: [pathParam('digest', 'manifest digest sha256:…')],
        get: {
          description:
            'The SBOM of a digest: CycloneDX 1.6 JSON (stored at scan time, the default) or SPDX 2.3 JSON ' +
            '(written from the stored inventory). Chosen by `format`, else by the Accept header.',
          parameters: [
            query('format', 'spdx or cyclonedx (default: the Accept header, else cyclonedx)', {
              type: 'string',
              enum: ['spdx', 'spdx-json', 'cyclonedx', 'cyclonedx-json'],
            }),
          ],
          responses: {
            '200': {
              description: 'CycloneDX JSON or SPDX JSON',
              content: {
                'application/vnd.cyclonedx+json': {
                  schema: { type: 'object', required: ['bomFormat', 'specVersion'] },
                },
                'application/spdx+json': {
                  schema: { type: 'object', required: ['spdxVersion', 'SPDXID', 'packages'] },
                },
              },
            },
            ...errors,
          },
        },
      },
      '/api/v1/images/{digest}/surface': storedSummary('surface', 'attack surface', 'Surface'),
      '/api/v1/images/{digest}/bloat': storedSummary('bloat', 'bloat', 'Bloat'),
      '/api/v1/compare': {
        get: {
          description:
            "Compare two stored digests (the app's `zerocve compare`, on stored inventories: nothing is pulled). " +
            'Findings are the shown ones after each digest’s policy and triage.',
          parameters: [
            { ...query('from', 'the earlier digest (A)'), required: true },
            { ...query('to', 'the later digest (B)'), required: true },
          ],
          responses: { '200': json(ref('Comparison')), ...errors },
        },
      },
      '/api/v1/tags': {
        get: {
          parameters: [{ ...query('repository', 'repository'), required: true }, query('tag', 'one tag')],
          responses: { '200': json(list('TagRecord')), ...errors },
        },
      },
      '/api/v1/scans': {
        post: {
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['target'],
                  properties: { target: { type: 'string' }, repository: { type: 'string' } },
                },
              },
            },
          },
          responses: { '202': json(accepted, 'Queued'), '413': error('Body too large'), ...errors },
        },
      },
      '/api/v1/jobs/{id}': {
        parameters: [pathParam('id', 'job id')],
        get: { responses: { '200': json(ref('Job')), ...errors } },
      },
      '/api/v1/events': {
        get: {
          parameters: [
            query('repository', 'only this repository'),
            query('digest', 'only this digest'),
            query('after', 'events with a greater id', { type: 'string', pattern: '^[0-9]+$' }),
            query('limit', 'at most this many (1–1000, default 100)', { type: 'string', pattern: '^[0-9]+$' }),
          ],
          responses: { '200': json(list('Event')), ...errors },
        },
      },
      '/api/v1/triage': {
        get: {
          parameters: [query('repository', 'decisions about this repository and about every image')],
          responses: { '200': json(list('TriageDecision')), ...errors },
        },
        post: {
          requestBody: { required: true, content: { 'application/json': { schema: ref('TriageInput') } } },
          responses: { '201': json(ref('TriageDecision'), 'Recorded'), '413': error('Body too large'), ...errors },
        },
      },
      '/api/v1/triage/{id}': {
        parameters: [pathParam('id', 'decision id')],
        delete: { responses: { '204': { description: 'Deleted' }, ...errors } },
      },
      '/api/v1/vex/{repository}': {
        parameters: [pathParam('repository', 'catalog repository, URL-encoded')],
        get: { responses: { '200': json({ type: 'object', required: ['@context', 'statements'] }), ...errors } },
      },
      '/api/v1/db': {
        get: { responses: { '200': json(ref('Database')), '503': error('No vulnerability database'), ...errors } },
      },
      '/api/v1/db/rematch': { post: { responses: { '202': json(accepted, 'Queued'), ...errors } } },
      '/api/v1/deliveries': {
        get: {
          parameters: [query('after', 'deliveries with a greater id')],
          responses: { '200': json(list('Delivery')), ...errors },
        },
      },
      '/api/v1/audit': {
        get: {
          parameters: [query('after', 'records with a greater id')],
          responses: { '200': json(list('AuditRecord')), ...errors },
        },
      },
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        hookSecret: { type: 'http', scheme: 'bearer', description: 'the shared secret given to --hook-secret' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['status', 'message'],
              properties: { status: { type: 'integer' }, message: { type: 'string' } },
            },
          },
        },
        Readiness: {
          type: 'object',
          required: ['status', 'checks'],
          properties: {
            status: { type: 'string' },
            checks: { type: 'object', additionalProperties: { type: 'string' } },
          },
        },
        CatalogEntry: {
          ...catalogEntryInput,
          required: ['repository', 'tier', 'policy', 'tags', 'updatedAt'],
          properties: {
            ...catalogEntryInput.properties,
            repository: { type: 'string' },
            updatedAt: { type: 'string', format: 'date-time' },
          },
        },
        BuildRecord: {
          type: 'object',
          required: ['id', 'repository', 'jobId', 'outcome', 'createdAt'],
          properties: {
            id: { type: 'integer' },
            repository: { type: 'string' },
            jobId: { type: 'string' },
            outcome: {
              type: 'string',
              enum: ['fresh', 'pushed', 'rejected', 'failed'],
              description:
                'fresh: nothing newer, not rebuilt; pushed: rebuilt, passed, pushed; rejected: rebuilt but failed ' +
                'the policy, not pushed (the current image stays); failed: check, build, scan or push went wrong',
            },
            reason: { type: 'string' },
            updates: {
              type: 'array',
              items: {
                type: 'object',
                required: ['name', 'installed', 'candidate', 'security'],
                properties: {
                  name: { type: 'string' },
                  installed: { type: 'string' },
                  candidate: { type: 'string' },
                  security: { type: 'boolean' },
                },
              },
            },
            digest: { type: 'string' },
            pushed: { type: 'array', items: { type: 'string' } },
            verdict: ref('Verdict'),
            error: { type: 'string' },
            createdAt: { type: 'string', format: 'date-time' },
          },
        },
        CatalogEntryWithHistory: {
          allOf: [
            ref('CatalogEntry'),
            {
              type: 'object',
              properties: {
                history: { type: 'array', items: ref('TagRecord') },
                following: {
                  type: 'array',
                  items: ref('TagHead'),
                  description: 'where each followed tag pointed when the service last resolved it',
                },
              },
            },
          ],
        },
        TagHead: {
          type: 'object',
          required: ['repository', 'tag', 'digest', 'checkedAt', 'changedAt'],
          properties: {
            repository: { type: 'string' },
            tag: { type: 'string' },
            digest: { type: 'string' },
            etag: { type: 'string', description: 'the validator sent back as If-None-Match' },
            checkedAt: { type: 'string', format: 'date-time' },
            changedAt: { type: 'string', format: 'date-time', description: 'when the tag moved to this digest' },
          },
        },
        TagRecord: {
          type: 'object',
          required: ['repository', 'tag', 'digest', 'seenAt'],
          properties: {
            repository: { type: 'string' },
            tag: { type: 'string' },
            digest: { type: 'string' },
            seenAt: { type: 'string', format: 'date-time' },
          },
        },
        Verdict: {
          type: 'object',
          required: ['passed', 'counts', 'suppressed'],
          properties: { passed: { type: 'boolean' }, threshold: severity, counts, suppressed: { type: 'integer' } },
        },
        ImageListItem: {
          type: 'object',
          required: ['digest', 'target', 'createdAt'],
          properties: {
            digest: { type: 'string' },
            repository: { type: 'string' },
            target: { type: 'string' },
            createdAt: { type: 'string', format: 'date-time' },
            dbVersion: { type: 'string' },
            verdict: ref('Verdict'),
          },
        },
        ImageSummary: {
          type: 'object',
          required: ['digest', 'target', 'analyzerVersion', 'packages'],
          properties: {
            digest: { type: 'string' },
            repository: { type: 'string' },
            target: { type: 'string' },
            analyzerVersion: { type: 'string' },
            image: { type: 'object' },
            surface: { type: 'object' },
            bloat: { type: 'object' },
            sections: { type: 'object' },
            packages: { type: 'integer' },
            result: {
              type: 'object',
              required: ['dbVersion', 'durationMs', 'createdAt', 'verdict'],
              properties: {
                dbVersion: { type: 'string' },
                durationMs: { type: 'integer' },
                createdAt: { type: 'string', format: 'date-time' },
                verdict: ref('Verdict'),
              },
            },
          },
        },
        Finding: {
          type: 'object',
          required: ['id', 'aliases', 'package', 'installedVersion', 'fixedVersions', 'fixState', 'severity', 'kind'],
          properties: {
            id: { type: 'string' },
            aliases: { type: 'array', items: { type: 'string' } },
            package: {
              type: 'object',
              required: ['name', 'version', 'purl'],
              properties: { name: { type: 'string' }, version: { type: 'string' }, purl: { type: 'string' } },
            },
            installedVersion: { type: 'string' },
            fixedVersions: { type: 'array', items: { type: 'string' } },
            fixState: { type: 'string' },
            severity,
            kev: { type: 'boolean' },
            kind: { type: 'string' },
          },
        },
        Findings: {
          type: 'object',
          required: ['digest', 'findings'],
          properties: {
            digest: { type: 'string' },
            dbVersion: { type: 'string' },
            verdict: ref('Verdict'),
            findings: { type: 'array', items: ref('Finding') },
            suppressed: {
              type: 'array',
              items: {
                type: 'object',
                required: ['finding', 'by', 'reason'],
                properties: {
                  finding: ref('Finding'),
                  by: { type: 'string' },
                  reason: { type: 'string' },
                  rule: { type: 'string' },
                },
              },
            },
          },
        },
        Surface: {
          type: 'object',
          required: ['files', 'executables', 'totalBytes', 'shells', 'packageManagers', 'setuid', 'user'],
          properties: {
            packagesByType: { type: 'object', additionalProperties: { type: 'integer' } },
            files: { type: 'integer' },
            directories: { type: 'integer' },
            symlinks: { type: 'integer' },
            executables: { type: 'integer' },
            elfExecutables: { type: 'integer' },
            scriptExecutables: { type: 'integer' },
            totalBytes: { type: 'integer' },
            shells: { type: 'array', items: { type: 'string' } },
            packageManagers: { type: 'array', items: { type: 'string' } },
            setuid: { type: 'array', items: { type: 'object' } },
            setgid: { type: 'array', items: { type: 'object' } },
            worldWritable: { type: 'array', items: { type: 'object' } },
            user: {
              type: 'object',
              required: ['configured', 'root'],
              properties: { configured: { type: 'string' }, root: { type: 'boolean' } },
            },
          },
        },
        Bloat: {
          type: 'object',
          required: ['totalBytes', 'categories', 'topOffenders', 'removableBytes'],
          properties: {
            totalBytes: { type: 'integer' },
            categories: {
              type: 'array',
              items: {
                type: 'object',
                required: ['category', 'bytes', 'files'],
                properties: { category: { type: 'string' }, bytes: { type: 'integer' }, files: { type: 'integer' } },
              },
            },
            topOffenders: {
              type: 'array',
              items: {
                type: 'object',
                required: ['path', 'category', 'bytes'],
                properties: {
                  path: { type: 'string' },
                  category: { type: 'string' },
                  bytes: { type: 'integer' },
                  package: { type: 'string' },
                  note: { type: 'string' },
                },
              },
            },
            removableBytes: { type: 'integer' },
            duplicates: { type: 'array', items: { type: 'object' } },
            shadowedBytes: { type: 'integer' },
            buildOnlyBytes: { type: 'integer' },
            byPackage: { type: 'array', items: { type: 'object' } },
          },
        },
        Comparison: {
          type: 'object',
          required: ['from', 'to', 'packages', 'findings', 'size', 'metrics'],
          properties: {
            from: comparedSide,
            to: comparedSide,
            packages: {
              type: 'object',
              required: ['added', 'removed', 'changed'],
              properties: {
                added: { type: 'array', items: comparedPackage },
                removed: { type: 'array', items: comparedPackage },
                changed: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['type', 'name', 'from', 'to'],
                    properties: {
                      type: { type: 'string' },
                      name: { type: 'string' },
                      from: { type: 'array', items: { type: 'string' } },
                      to: { type: 'array', items: { type: 'string' } },
                    },
                  },
                },
              },
            },
            findings: {
              type: 'object',
              required: ['new', 'resolved'],
              properties: { new: { type: 'array', items: findingRef }, resolved: { type: 'array', items: findingRef } },
            },
            size: {
              type: 'object',
              required: ['compressedBytes', 'uncompressedBytes', 'fileBytes'],
              properties: { compressedBytes: sizeDelta, uncompressedBytes: sizeDelta, fileBytes: sizeDelta },
            },
            metrics: {
              type: 'array',
              items: {
                type: 'object',
                required: ['key', 'label', 'a', 'b', 'delta', 'change', 'unit'],
                properties: {
                  key: { type: 'string' },
                  label: { type: 'string' },
                  a: nullableNumber,
                  b: nullableNumber,
                  delta: nullableNumber,
                  change: { type: 'string' },
                  unit: { type: 'string', enum: ['count', 'bytes'] },
                },
              },
            },
          },
        },
        Job: job,
        Event: {
          type: 'object',
          required: ['id', 'digest', 'findingId', 'packageRef', 'kind', 'dbVersion', 'createdAt'],
          properties: {
            id: { type: 'integer' },
            repository: { type: 'string' },
            digest: { type: 'string' },
            findingId: { type: 'string' },
            packageRef: { type: 'string' },
            kind: { type: 'string', enum: ['new', 'resolved', 'changed'] },
            old: findingState,
            new: findingState,
            dbVersion: { type: 'string' },
            createdAt: { type: 'string', format: 'date-time' },
          },
        },
        TriageInput: {
          type: 'object',
          required: ['findingId', 'status'],
          properties: {
            repository: { type: 'string', description: 'catalog repository, or * (default) for every image' },
            findingId: { type: 'string' },
            package: { type: 'string', description: 'purl of the package the decision is about' },
            status: { type: 'string', enum: ['not_affected', 'affected', 'fixed', 'under_investigation'] },
            justification: {
              type: 'string',
              enum: [
                'component_not_present',
                'vulnerable_code_not_present',
                'vulnerable_code_not_in_execute_path',
                'vulnerable_code_cannot_be_controlled_by_adversary',
                'inline_mitigations_already_exist',
              ],
            },
            action: { type: 'string' },
            until: { type: 'string', format: 'date-time' },
          },
        },
        TriageDecision: {
          type: 'object',
          required: ['id', 'repository', 'findingId', 'status', 'author', 'createdAt'],
          properties: {
            id: { type: 'integer' },
            repository: { type: 'string' },
            findingId: { type: 'string' },
            package: { type: 'string' },
            status: { type: 'string' },
            justification: { type: 'string' },
            action: { type: 'string' },
            author: { type: 'string' },
            createdAt: { type: 'string', format: 'date-time' },
            until: { type: 'string', format: 'date-time' },
          },
        },
        Database: {
          type: 'object',
          required: ['version', 'stale', 'sources'],
          properties: {
            version: { type: 'string' },
            builtAt: { type: 'string' },
            ageHours: { type: 'number' },
            stale: { type: 'boolean' },
            sources: { type: 'array', items: { type: 'object' } },
          },
        },
        Delivery: {
          type: 'object',
          required: ['id', 'endpoint', 'groupKey', 'payload', 'state', 'attempts', 'nextAt', 'createdAt'],
          properties: {
            id: { type: 'integer' },
            endpoint: { type: 'string' },
            groupKey: { type: 'string' },
            payload: { type: 'object' },
            state: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
            attempts: { type: 'integer' },
            nextAt: { type: 'integer' },
            lastStatus: { type: 'integer' },
            lastError: { type: 'string' },
            createdAt: { type: 'string', format: 'date-time' },
            deliveredAt: { type: 'string', format: 'date-time' },
          },
        },
        AuditRecord: {
          type: 'object',
          required: ['id', 'actor', 'action', 'target', 'at'],
          properties: {
            id: { type: 'integer' },
            actor: { type: 'string' },
            action: { type: 'string' },
            target: { type: 'string' },
            detail: {},
            at: { type: 'string', format: 'date-time' },
          },
        },
      },
    },
  };
}
