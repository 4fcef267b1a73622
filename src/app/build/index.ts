// `zerocve build image.yaml`: a minimal image assembled from distribution packages, the way hardened-image vendors
// build theirs — prod variant without shells or package managers, non-root user, reproducible (same config and
// package versions → same image digest), with a CycloneDX SBOM and an in-toto/SLSA provenance statement attached
// as OCI referrers.
import { randomUUID } from 'node:crypto';
import type { OutputKind, ImageOutput as BuildOutput, BuildResult } from '../../core/results.ts';
export type { OutputKind, BuildOutput, BuildResult };
import { mkdtempSync, rmSync, mkdirSync, existsSync, renameSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { UsageError } from '../../core/errors.ts';
import {
  initLayout,
  writeLayer,
  writeImage,
  writeReferrer,
  writeIndex,
  addDirToTar,
  type BlobDescriptor,
  openOciLayout,
} from '../../image/index.ts';
import type { Package } from '../../core/package.ts';
import { analyzeImage } from '../analyze.ts';
import { assembleReport } from '../scan.ts';
import { VERSION } from '../version.ts';
import { attachSbom, publishLayout } from '../publish.ts';
import { pushLayoutImage } from '../push-image.ts';
import { readBuildSpec, type BuildSpec } from './image-spec.ts';
import { debootstrap, removeNondeterminism, addUser, addFiles, stripForProd, type DebRecord } from './rootfs.ts';

export { readBuildSpec, parseBuildSpec, DEFAULT_PROD_REMOVE } from './image-spec.ts';
export type { BuildSpec } from './image-spec.ts';
export { checkFreshness, type FreshnessReport } from './check.ts';

export function parseOutputTarget(s: string): BuildOutput {
  const m = /^(oci-dir|oci-archive|docker-archive):(.+)$/.exec(s);
  if (!m) throw new UsageError(`output '${s}': expected oci-dir:PATH[:tag], oci-archive:PATH or docker-archive:PATH`);
  let path = m[2];
  let tag: string | undefined;
  if (m[1] === 'oci-dir') {
    const t = /^(.*):([\w][\w.-]{0,127})$/.exec(path);
    if (t) {
      path = t[1];
      tag = t[2];
    }
  }
  return { kind: m[1] as OutputKind, path, tag };
}

export interface BuildOptions {
  output: BuildOutput;
  /** keep the unpacked root here (for running it), instead of deleting it */
  keepRootfs?: string;
  /** also push the result, with its SBOM and provenance, to this registry reference */
  push?: string;
  insecure?: boolean;
  /** registry credentials for --push (else the docker config's) */
  auth?: { username?: string; password?: string };
  dockerConfigPath?: string;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

function provenance(spec: BuildSpec, manifest: BlobDescriptor, debs: DebRecord[], packages: Package[]): string {
  const byName = new Map(debs.map((d) => [`${d.name}@${d.version}`, d]));
  return JSON.stringify(
    {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: spec.name, digest: { sha256: manifest.digest.slice(7) } }],
      predicateType: 'https://slsa.dev/provenance/v1',
      predicate: {
        buildDefinition: {
          buildType: 'https://zerocve.dev/build/debian/v1',
          externalParameters: {
            base: `${spec.distro}:${spec.release}`,
            packages: spec.packages,
            variant: spec.variant,
            user: spec.user,
            entrypoint: spec.entrypoint,
            cmd: spec.cmd,
            env: spec.env,
            workdir: spec.workdir,
            files: spec.files.map((f) => ({ dest: f.dest, mode: f.mode.toString(8) })),
            mirrors: spec.mirrors,
          },
          internalParameters: {
            sourceDateEpoch: spec.sourceDateEpoch,
            prodRemove: spec.variant === 'prod' ? spec.prodRemove : [],
          },
          resolvedDependencies: packages
            .filter((p) => p.type === 'deb')
            .map((p) => {
              const d = byName.get(`${p.name}@${p.version}`);
              return {
                uri: p.purl,
                name: d?.filename ?? `${p.name}_${p.version}`,
                ...(d ? { digest: { sha256: d.sha256 } } : {}),
              };
            }),
        },
        runDetails: {
          builder: { id: `https://zerocve.dev/zerocve@${VERSION}` },
          metadata: { invocationId: `${spec.name}@${manifest.digest}` },
        },
      },
    },
    null,
    2,
  );
}

export async function buildImage(specPath: string, options: BuildOptions): Promise<BuildResult> {
  const spec = readBuildSpec(specPath);
  const work = mkdtempSync(join(tmpdir(), 'zerocve-build-'));
  let staging: string | undefined;
  const root = join(work, 'rootfs');
  try {
    options.onProgress?.(`installing ${spec.packages.length} packages with mmdebstrap (${spec.release})`);
    const debs = await debootstrap(spec, root, { signal: options.signal });
    if (spec.user) addUser(root, spec.user);
    addFiles(root, spec);
    const removed = spec.variant === 'prod' ? stripForProd(root, spec) : [];
    removeNondeterminism(root);
    options.onProgress?.('writing the image');
    const layout = options.output.kind === 'oci-dir' ? resolve(options.output.path) : join(work, 'layout');
    staging = options.output.kind === 'oci-dir' ? `${layout}.tmp-${randomUUID()}` : layout;
    rmSync(staging, { recursive: true, force: true });
    initLayout(staging);
    const layer = await writeLayer(
      staging,
      (tar) => addDirToTar(tar, root, { mtime: spec.sourceDateEpoch }).then(() => undefined),
      { mtime: spec.sourceDateEpoch },
    );
    const created = new Date(spec.sourceDateEpoch * 1000).toISOString().replace('.000Z', 'Z');
    const manifest = await writeImage(staging, {
      layers: [layer],
      created,
      platform: spec.platform,
      config: {
        user: spec.user ? `${spec.user.uid}:${spec.user.gid}` : undefined,
        env: spec.env,
        entrypoint: spec.entrypoint,
        cmd: spec.cmd,
        workingDir: spec.workdir,
        labels: { 'org.opencontainers.image.title': spec.name, 'dev.zerocve.variant': spec.variant },
      },
      history: [
        {
          created,
          created_by: `zerocve build ${spec.variant} (${spec.distro}:${spec.release}: ${spec.packages.join(' ')})`,
        },
      ],
    });
    const tag = options.output.tag ?? 'latest';
    writeIndex(staging, [{ ...manifest, tag }]);
    // the SBOM is made by scanning the image just written, so it describes exactly what is in it
    options.onProgress?.('cataloguing the image for its SBOM');
    const image = await openOciLayout(staging, { target: `oci-dir:${staging}:${tag}`, tag });
    const analysis = await analyzeImage(image, {
      cacheDir: null,
      scanners: new Set(['model']),
      signal: options.signal,
    });
    analysis.image.source = { ...analysis.image.source, target: `${spec.name}`, manifestDigest: manifest.digest };
    const report = assembleReport(
      analysis,
      { findings: [], warnings: [], problems: [] },
      { policy: {}, now: new Date(spec.sourceDateEpoch * 1000) },
    );
    const sbom = await attachSbom(staging, manifest, report);
    const prov = await writeReferrer(staging, manifest, {
      artifactType: 'application/vnd.in-toto+json',
      data: provenance(spec, manifest, debs, analysis.inventory.packages),
      annotations: { 'dev.zerocve.kind': 'provenance', 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v1' },
    });
    writeIndex(staging, [{ ...manifest, tag }, sbom, prov]);
    await publishLayout(
      staging,
      { kind: options.output.kind, path: options.output.kind === 'oci-dir' ? layout : resolve(options.output.path) },
      { manifest, repoTag: `${spec.name}:${tag}` },
    );
    let pushed: string | undefined;
    if (options.push) {
      // the image with its SBOM and provenance referrers (skopeo copies the image alone)
      await pushLayoutImage(options.output.kind === 'oci-dir' ? layout : staging, tag, [options.push], {
        insecure: options.insecure,
        auth: options.auth,
        dockerConfigPath: options.dockerConfigPath,
        signal: options.signal,
      });
      pushed = options.push;
    }
    if (options.keepRootfs) {
      rmSync(options.keepRootfs, { recursive: true, force: true });
      mkdirSync(dirname(resolve(options.keepRootfs)), { recursive: true });
      renameSync(root, options.keepRootfs);
    }
    return {
      output: options.output,
      manifestDigest: manifest.digest,
      packages: analysis.inventory.packages.filter((p) => p.type === 'deb').length,
      removedPackages: removed,
      layer: { digest: layer.digest, diffId: layer.diffId, size: layer.size, uncompressedSize: layer.uncompressedSize },
      sbom,
      provenance: prov,
      pushed,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
    if (staging && options.output.kind === 'oci-dir' && existsSync(staging))
      rmSync(staging, { recursive: true, force: true });
  }
}
