// safetensors header validation: 8-byte little-endian header length, a JSON object of tensors
// `{ name: { dtype, shape, data_offsets: [begin, end] } }` (plus optional `__metadata__` of strings), offsets
// relative to the data region that follows the header, each tensor's byte length equal to its shape times its
// dtype size, no overlaps, and no holes (the format requires the data region to be fully indexed).

/** bytes per element; sub-byte and exotic dtypes are checked for bounds and overlap only */
const DTYPE_BYTES: Record<string, number | undefined> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  F8_E8M0: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
  C64: 8,
  F4: undefined,
  F6_E2M3: undefined,
  F6_E3M2: undefined,
};

/** Largest header read into memory (the reference implementation refuses headers above 100 MB). */
export const MAX_SAFETENSORS_HEADER = 100_000_000;

/** Problems with a header (JSON text) given the file size; [] when it is valid. */
export function checkSafetensorsHeader(headerLength: number, header: Buffer, fileSize: number): string[] {
  const problems: string[] = [];
  const dataSize = fileSize - 8 - headerLength;
  let doc: unknown;
  try {
    doc = JSON.parse(header.toString('utf8'));
  } catch (err) {
    return [`safetensors header is not JSON: ${err instanceof Error ? err.message : String(err)}`];
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return ['safetensors header is not a JSON object'];
  const spans: { name: string; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(doc as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (
        typeof raw !== 'object' ||
        raw === null ||
        Array.isArray(raw) ||
        Object.values(raw).some((v) => typeof v !== 'string')
      ) {
        problems.push('safetensors __metadata__ is not a map of strings');
      }
      continue;
    }
    const t = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof t !== 'object' || t === null) {
      problems.push(`tensor ${name}: not an object`);
      continue;
    }
    if (typeof t.dtype !== 'string' || !(t.dtype in DTYPE_BYTES)) {
      problems.push(`tensor ${name}: unknown dtype ${JSON.stringify(t.dtype)}`);
      continue;
    }
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      problems.push(`tensor ${name}: shape is not a list of non-negative integers`);
      continue;
    }
    const off = t.data_offsets;
    if (
      !Array.isArray(off) ||
      off.length !== 2 ||
      !off.every((d) => Number.isSafeInteger(d) && d >= 0) ||
      off[0] > off[1]
    ) {
      problems.push(`tensor ${name}: data_offsets is not [begin, end] with begin <= end`);
      continue;
    }
    const [begin, end] = off as number[];
    if (end > dataSize) {
      problems.push(`tensor ${name}: data_offsets end ${end} is beyond the ${dataSize}-byte data region`);
      continue;
    }
    const per = DTYPE_BYTES[t.dtype];
    if (per !== undefined) {
      const want = (t.shape as number[]).reduce((a, b) => a * b, 1) * per;
      if (want !== end - begin)
        problems.push(`tensor ${name}: ${end - begin} bytes but ${t.dtype}${JSON.stringify(t.shape)} needs ${want}`);
    }
    spans.push({ name, begin, end });
  }
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const s of spans) {
    if (s.begin < at) problems.push(`tensor ${s.name}: bytes ${s.begin}-${s.end} overlap the previous tensor`);
    else if (s.begin > at) problems.push(`data region has ${s.begin - at} unindexed bytes before tensor ${s.name}`);
    at = Math.max(at, s.end);
  }
  if (problems.length === 0 && at < dataSize)
    problems.push(`data region has ${dataSize - at} unindexed bytes after the last tensor`);
  return problems;
}
