// Read a peer scanner's JSON report from a file and tell Trivy from Grype by shape.
import { open } from 'node:fs/promises';
import { InputError, reasonOf } from '../core/errors.ts';
import type { PeerReport } from './types.ts';
import { isTrivyReport, parseTrivyReport } from './parse-trivy.ts';
import { isGrypeReport, parseGrypeReport } from './parse-grype.ts';

/** Reports larger than this are refused (a Trivy report of a large ML image with descriptions is ~10–50 MB). */
export const MAX_PEER_REPORT_BYTES = 512 * 1024 * 1024;

export interface ReadPeerReportOptions {
  signal?: AbortSignal;
  /** default MAX_PEER_REPORT_BYTES */
  maxBytes?: number;
}

/** A parsed JSON document → PeerReport, detecting the scanner; `path` names the input in errors. */
export function parsePeerReport(doc: unknown, path: string): PeerReport {
  if (isTrivyReport(doc)) return parseTrivyReport(doc, path);
  if (isGrypeReport(doc)) return parseGrypeReport(doc, path);
  const o = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>) : {};
  const what =
    o.bomFormat === 'CycloneDX'
      ? 'a CycloneDX document'
      : typeof o.spdxVersion === 'string'
        ? 'an SPDX document'
        : Array.isArray(o.runs)
          ? 'a SARIF log'
          : o.tool && (o.tool as Record<string, unknown>).name === 'zerocve'
            ? 'a zerocve report'
            : 'neither';
  const is =
    what === 'neither' ? 'neither a Trivy nor a Grype JSON report' : `${what}, not a Trivy or Grype JSON report`;
  throw new InputError(`${path}: is ${is} (write one with \`trivy image --format json\` or \`grype -o json\`)`);
}

/** Read a Trivy (SchemaVersion 2) or Grype JSON report. Bad input → InputError naming the file. */
export async function readPeerReport(path: string, options: ReadPeerReportOptions = {}): Promise<PeerReport> {
  const max = options.maxBytes ?? MAX_PEER_REPORT_BYTES;
  let text: string;
  try {
    const fh = await open(path, 'r');
    try {
      const { size } = await fh.stat();
      if (size > max) throw new InputError(`${path}: peer report is ${size} bytes, over the ${max}-byte limit`);
      text = await fh.readFile({ encoding: 'utf8', signal: options.signal });
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    if ((err as Error).name === 'AbortError') throw err;
    throw new InputError(`${path}: cannot read peer report: ${reasonOf(err)}`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${path}: not JSON: ${reasonOf(err).split('\n')[0]}`, { cause: err });
  }
  return parsePeerReport(doc, path);
}
