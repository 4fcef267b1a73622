// `zerocve slim` and `zerocve build`: make minimal images.
import { UsageError } from '../../core/errors.ts';
import { buildImage, checkFreshness, readBuildSpec, parseOutputTarget } from '../../app/build/index.ts';
import type { FlagSpec } from '../options.ts';
import { COMMON_FLAGS, parseCommand, helpText } from '../options.ts';
import { createProgress } from '../io.ts';
import { EXIT } from '../exit.ts';
import type { Command } from './scan.ts';

export const slim: Command = {
  summary: 'cut an image down to what a workload uses, and prove it still runs',
  async run() { throw new UsageError('slim: not available yet'); },
};

const BUILD_FLAGS: Record<string, FlagSpec> = {
  ...COMMON_FLAGS,
  out: { type: 'string', short: 'o', help: 'TARGET: oci-dir:PATH[:tag], oci-archive:PATH or docker-archive:PATH (required)' },
  push: { type: 'string', help: 'REF: also copy the image to a registry (with skopeo)' },
  insecure: { type: 'boolean', help: 'plain HTTP / no TLS verification for --push' },
  check: { type: 'boolean', help: 'do not build: say which packages of the image at -o have newer versions or security fixes' },
  'keep-rootfs': { type: 'string', help: 'DIR: keep the unpacked root file system there (to run or inspect it)' },
  format: { type: 'string', short: 'f', help: 'FORMAT: table or json (summary)' },
};

export const build: Command = {
  summary: 'build a minimal image from Debian packages (image.yaml), with SBOM and provenance',
  async run(args) {
    const { values, positionals } = parseCommand(args, BUILD_FLAGS, process.env, process.cwd(), 'build');
    if (values.help) {
      process.stdout.write(helpText('build', 'image.yaml -o oci-dir:OUT [flags]', 'Build a minimal image declaratively from Debian packages (mmdebstrap): prod variant without shells or package\nmanagers, non-root user, reproducible digest, CycloneDX SBOM and SLSA provenance attached as OCI referrers.', BUILD_FLAGS));
      return EXIT.ok;
    }
    if (positionals.length !== 1) throw new UsageError('build: expected one image.yaml (zerocve build --help)');
    if (!values.out) throw new UsageError('build: -o TARGET is required (e.g. -o oci-dir:out:latest)');
    const output = parseOutputTarget(values.out as string);
    const json = values.format === 'json';
    if (values.check) {
      const spec = readBuildSpec(positionals[0]);
      const target = output.kind === 'oci-dir' ? `oci-dir:${output.path}${output.tag ? `:${output.tag}` : ''}` : `${output.kind}:${output.path}`;
      const r = await checkFreshness(spec, target);
      if (json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
      else {
        process.stdout.write(`${r.image}: ${r.checked} packages checked, ${r.updates.length} with newer versions (${r.updates.filter((u) => u.security).length} from security updates)\n`);
        for (const u of r.updates) process.stdout.write(`  ${u.name.padEnd(30)} ${u.installed} → ${u.candidate}${u.security ? '  [security]' : ''}\n`);
      }
      return r.updates.length ? EXIT.policyFailed : EXIT.ok;
    }
    const progress = createProgress(values.quiet !== true);
    let r;
    try {
      r = await buildImage(positionals[0], { output, push: values.push as string | undefined, insecure: values.insecure === true, keepRootfs: values['keep-rootfs'] as string | undefined, onProgress: (m) => progress.update(`zerocve: ${m}`) });
    } finally { progress.done(); }
    if (json) { process.stdout.write(JSON.stringify(r, null, 2) + '\n'); return EXIT.ok; }
    process.stdout.write([
      `built ${values.out}`,
      `  manifest   ${r.manifestDigest}`,
      `  layer      ${r.layer.digest} (${(r.layer.size / 1e6).toFixed(1)} MB, ${(r.layer.uncompressedSize / 1e6).toFixed(1)} MB unpacked)`,
      `  packages   ${r.packages} Debian packages${r.removedPackages.length ? `; prod removed ${r.removedPackages.length}: ${r.removedPackages.join(' ')}` : ''}`,
      `  sbom       ${r.sbom.digest} (CycloneDX, referrer)`,
      `  provenance ${r.provenance.digest} (in-toto SLSA v1, referrer)`,
      ...(r.pushed ? [`  pushed     ${r.pushed}`] : []),
    ].join('\n') + '\n');
    return EXIT.ok;
  },
};
