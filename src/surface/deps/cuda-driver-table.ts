// Minimum NVIDIA Linux x86_64 driver per CUDA toolkit release, as data.
// Source: NVIDIA CUDA Toolkit Release Notes, "CUDA Toolkit and Corresponding Driver Versions" (Table 3) and
// "CUDA Toolkit and Minimum Required Driver Version for CUDA Minor Version Compatibility" (Table 2),
// https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/index.html (checked against the release notes archive).
// `toolkit` is the driver shipped with/required by that release for every feature; `minorCompat` is the driver that
// runs applications of any release of the same major through CUDA minor version compatibility (no PTX JIT of
// newer PTX, some newer APIs unavailable).
import type { DriverRequirement, DriverNeed } from '../../core/analysis.ts';
export type { DriverRequirement, DriverNeed };

export const MINOR_COMPAT_DRIVER: Readonly<Record<number, string>> = {
  11: '450.80.02',
  12: '525.60.13',
  13: '580.65.06',
};

export const CUDA_DRIVER_TABLE: readonly DriverRequirement[] = [
  { cuda: '13.0.2', toolkit: '580.95.05' },
  { cuda: '13.0.1', toolkit: '580.82.07' },
  { cuda: '13.0', toolkit: '580.65.06' },
  { cuda: '12.9.1', toolkit: '575.57.08' },
  { cuda: '12.9', toolkit: '575.51.03' },
  { cuda: '12.8.1', toolkit: '570.124.06' },
  { cuda: '12.8', toolkit: '570.26' },
  { cuda: '12.6.3', toolkit: '560.35.05' },
  { cuda: '12.6.2', toolkit: '560.35.03' },
  { cuda: '12.6.1', toolkit: '560.35.03' },
  { cuda: '12.6', toolkit: '560.28.03' },
  { cuda: '12.5.1', toolkit: '555.42.06' },
  { cuda: '12.5', toolkit: '555.42.02' },
  { cuda: '12.4.1', toolkit: '550.54.15' },
  { cuda: '12.4', toolkit: '550.54.14' },
  { cuda: '12.3.2', toolkit: '545.23.08' },
  { cuda: '12.3.1', toolkit: '545.23.08' },
  { cuda: '12.3', toolkit: '545.23.06' },
  { cuda: '12.2.2', toolkit: '535.104.05' },
  { cuda: '12.2.1', toolkit: '535.86.09' },
  { cuda: '12.2', toolkit: '535.54.03' },
  { cuda: '12.1.1', toolkit: '530.30.02' },
  { cuda: '12.1', toolkit: '530.30.02' },
  { cuda: '12.0.1', toolkit: '525.85.12' },
  { cuda: '12.0', toolkit: '525.60.13' },
  { cuda: '11.8', toolkit: '520.61.05' },
  { cuda: '11.7.1', toolkit: '515.65.01' },
  { cuda: '11.7', toolkit: '515.43.04' },
  { cuda: '11.6.2', toolkit: '510.47.03' },
  { cuda: '11.6.1', toolkit: '510.47.03' },
  { cuda: '11.6', toolkit: '510.39.01' },
  { cuda: '11.5.2', toolkit: '495.29.05' },
  { cuda: '11.5.1', toolkit: '495.29.05' },
  { cuda: '11.5', toolkit: '495.29.05' },
  { cuda: '11.4.4', toolkit: '470.82.01' },
  { cuda: '11.4.3', toolkit: '470.82.01' },
  { cuda: '11.4.2', toolkit: '470.57.02' },
  { cuda: '11.4.1', toolkit: '470.57.02' },
  { cuda: '11.4', toolkit: '470.42.01' },
  { cuda: '11.3.1', toolkit: '465.19.01' },
  { cuda: '11.3', toolkit: '465.19.01' },
  { cuda: '11.2.2', toolkit: '460.32.03' },
  { cuda: '11.2.1', toolkit: '460.32.03' },
  { cuda: '11.2', toolkit: '460.27.03' },
  { cuda: '11.1.1', toolkit: '455.32' },
  { cuda: '11.1', toolkit: '455.23' },
  { cuda: '11.0.3', toolkit: '450.51.06' },
  { cuda: '11.0', toolkit: '450.51.05' },
  { cuda: '10.2', toolkit: '440.33' },
  { cuda: '10.1', toolkit: '418.39' },
  { cuda: '10.0', toolkit: '410.48' },
  { cuda: '9.2', toolkit: '396.26' },
  { cuda: '9.1', toolkit: '390.46' },
  { cuda: '9.0', toolkit: '384.81' },
];

/** Compare dotted numeric versions (`550.54.14`, `12.4.1`); missing parts count as 0. */
export function compareDotted(a: string, b: string): -1 | 0 | 1 {
  const x = a.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const y = b.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** What driver a CUDA version needs. `12.4.127` (a cudart version) reads as release 12.4 (GA). */
export function driverNeededFor(cuda: string): DriverNeed {
  const parts = cuda.split('.').map((p) => Number.parseInt(p, 10));
  const major = parts[0];
  // component versions (cudart 12.4.127) have a large third number: only major.minor names the release
  const release = parts.length >= 3 && parts[2] > 9 ? `${parts[0]}.${parts[1]}` : cuda;
  const row = CUDA_DRIVER_TABLE.find(
    (r) => Number(r.cuda.split('.')[0]) === major && compareDotted(r.cuda, release) <= 0,
  );
  return { cuda, row, toolkit: row?.toolkit, minorCompat: MINOR_COMPAT_DRIVER[major] };
}
