// `json`: the ScanReport itself (documented in docs/json-schema.md; schema in docs/report.schema.json).
// Written piece by piece so a report with huge package/file lists never becomes one giant string.
import type { Writable } from 'node:stream';
import type { ScanReport } from '../core/report.ts';
import type { Reporter, ReporterOptions } from './common.ts';
import { writeChunks } from './common.ts';

/** Pretty JSON (2 spaces), yielding arrays and objects of the top two levels element by element. */
export function* jsonChunks(value: unknown, depth = 0, maxSplitDepth = 3): Generator<string> {
  const pad = '  '.repeat(depth);
  const inner = '  '.repeat(depth + 1);
  if (depth >= maxSplitDepth || value === null || typeof value !== 'object') {
    yield JSON.stringify(value ?? null, null, 2).replace(/\n/g, `\n${pad}`);
    return;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) {
      yield '[]';
      return;
    }
    yield '[\n';
    for (let i = 0; i < value.length; i++) {
      yield inner;
      yield* jsonChunks(value[i] === undefined ? null : value[i], depth + 1, maxSplitDepth);
      yield i < value.length - 1 ? ',\n' : '\n';
    }
    yield `${pad}]`;
    return;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined && typeof v !== 'function');
  if (entries.length === 0) {
    yield '{}';
    return;
  }
  yield '{\n';
  for (let i = 0; i < entries.length; i++) {
    yield `${inner}${JSON.stringify(entries[i][0])}: `;
    yield* jsonChunks(entries[i][1], depth + 1, maxSplitDepth);
    yield i < entries.length - 1 ? ',\n' : '\n';
  }
  yield `${pad}}`;
}

export function createJsonReporter(): Reporter {
  return {
    format: 'json',
    async write(report: ScanReport, out: Writable, options: ReporterOptions = {}): Promise<void> {
      await writeChunks(out, jsonChunks(report), options.signal);
      await writeChunks(out, ['\n'], options.signal);
    },
  };
}
