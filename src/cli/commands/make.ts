// `zerocve slim` and `zerocve build`: make minimal images.
import { UsageError } from '../../core/errors.ts';
import type { Command } from './scan.ts';

export const slim: Command = {
  summary: 'cut an image down to what a workload uses, and prove it still runs',
  async run() { throw new UsageError('slim: not available yet'); },
};

export const build: Command = {
  summary: 'build a minimal image from Debian packages (image.yaml), with SBOM and provenance',
  async run() { throw new UsageError('build: not available yet'); },
};
