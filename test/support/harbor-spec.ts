// Harbor's scanner-adapter OpenAPI document (v1.2, from the shared corpus) as a validator: the schema the spec names
// for a request body or for a response of (path, method, status, media type), checked with Ajv. OpenAPI 3.0 schema
// objects are JSON Schema plus `nullable`, `example` and a few formats; Ajv reads them with strict mode off.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { corpusPath } from './corpus.ts';

export const HARBOR_SPEC_REL = 'specs/harbor-pluggable-scanner-spec/api/spec/scanner-adapter-openapi-v1.2.yaml';

type Json = Record<string, unknown>;

export interface HarborSpec {
  /** validator for the response body the spec names (throws when the spec has no such response) */
  response(path: string, method: string, status: number, mediaType: string): ValidateFunction;
  /** validator for the request body of that media type */
  request(path: string, method: string, mediaType: string): ValidateFunction;
  /** the spec's response entry (headers, content) */
  responseEntry(path: string, method: string, status: number): Json | undefined;
}

/** OpenAPI 3.0's `nullable: true` beside no `type` (the spec's `parameters`) becomes `anyOf: [schema, null]`. */
function openApiToJsonSchema(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(openApiToJsonSchema);
  if (typeof v !== 'object' || v === null) return v;
  const o = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, openApiToJsonSchema(x)])) as Json;
  if (o.nullable === true && o.type === undefined) {
    const { nullable: _n, ...rest } = o;
    return { anyOf: [rest, { type: 'null' }] };
  }
  return o;
}

export function loadHarborSpec(): HarborSpec {
  const file = corpusPath(HARBOR_SPEC_REL);
  if (!file) throw new Error(`Harbor spec not found: ${HARBOR_SPEC_REL}`);
  const doc = parse(readFileSync(file, 'utf8')) as Json;
  const ajv = new Ajv({ strict: false, allErrors: true });
  (addFormatsModule as unknown as { default: (a: Ajv) => void }).default(ajv);
  ajv.addFormat('url', true).addFormat('float', true);
  ajv.addSchema({ $id: 'harbor', components: openApiToJsonSchema((doc as { components: Json }).components) as Json });
  const op = (path: string, method: string): Json => {
    const o = ((doc.paths as Json)[path] as Json | undefined)?.[method] as Json | undefined;
    if (!o) throw new Error(`the Harbor spec has no ${method.toUpperCase()} ${path}`);
    return o;
  };
  const compile = (schema: Json): ValidateFunction => {
    const rewritten = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"harbor#/components/')) as Json;
    return ajv.compile(rewritten);
  };
  const responseEntry = (path: string, method: string, status: number): Json | undefined =>
    (op(path, method).responses as Json)[String(status)] as Json | undefined;
  return {
    responseEntry,
    response(path, method, status, mediaType) {
      const entry = responseEntry(path, method, status);
      const content = (entry?.content as Json | undefined)?.[mediaType] as Json | undefined;
      if (!content) throw new Error(`the Harbor spec has no ${status} ${mediaType} response for ${method} ${path}`);
      return compile(content.schema as Json);
    },
    request(path, method, mediaType) {
      const content = ((op(path, method).requestBody as Json).content as Json)[mediaType] as Json | undefined;
      if (!content) throw new Error(`the Harbor spec takes no ${mediaType} body for ${method} ${path}`);
      return compile(content.schema as Json);
    },
  };
}
