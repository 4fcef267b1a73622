// A file inside the image standing in for a package in findings about files (unsafe model files, secrets).
import type { PackageRef } from '../core/finding.ts';

export const fileRef = (path: string, layer: number): PackageRef => ({
  id: `file:${path}`,
  type: 'binary',
  name: path,
  version: '',
  purl: '',
  locations: [{ path, layer }],
});
