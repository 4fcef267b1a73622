// Units are part of the report contract: a size is a number of bytes, says so in its type and its name
// (`installedSizeBytes`, `totalBytes`), and is rendered by one formatter everywhere (reporters, CLI summaries).

/** A size in bytes (never KiB, never blocks). An alias, so JSON and arithmetic stay plain numbers. */
export type Bytes = number;

/** Bytes from a count of KiB (dpkg's `Installed-Size`): the only place a KiB figure becomes bytes. */
export const kibToBytes = (kib: number): Bytes => kib * 1024;

/**
 * The one size formatter: SI units (1 kB = 1000 B), as `docker images`, Trivy and Grype print them.
 * `0 B`, `999 B`, `1.5 kB`, `47.1 MB`, `123 MB`; `?` for a negative or non-finite value.
 */
export function formatBytes(n: Bytes): string {
  if (!Number.isFinite(n) || n < 0) return '?';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${v} B` : `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}
