// `zerocve build --check image.yaml -o oci-dir:OUT`: which packages of a built image have newer versions in the
// image's Debian release (security fixes first). Asks apt itself, with a private configuration holding the spec's
// mirrors and the built image's dpkg status, so the host's own apt setup plays no part.
import type { FreshnessReport } from '../../core/results.ts';
export type { FreshnessReport };
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { InputError } from '../../core/errors.ts';
import { openImage, type OpenImageOptions } from '../../image/index.ts';
import { analyzeImage } from '../analyze.ts';
import { compareDpkg } from '../../version/index.ts';
import type { BuildSpec } from './image-spec.ts';

const run = promisify(execFile);

/** `apt-cache policy` output → package → { installed, candidate, security } */
export function parseAptPolicy(
  text: string,
): Map<string, { installed?: string; candidate?: string; security: boolean }> {
  const out = new Map<string, { installed?: string; candidate?: string; security: boolean }>();
  let cur: { installed?: string; candidate?: string; security: boolean } | undefined;
  let candidateSeen = false;
  for (const line of text.split('\n')) {
    const head = /^(\S+):$/.exec(line);
    if (head) {
      cur = { security: false };
      out.set(head[1].replace(/:amd64$/, ''), cur);
      candidateSeen = false;
      continue;
    }
    if (!cur) continue;
    const inst = /^\s+Installed: (\S+)/.exec(line);
    if (inst) {
      cur.installed = inst[1] === '(none)' ? undefined : inst[1];
      continue;
    }
    const cand = /^\s+Candidate: (\S+)/.exec(line);
    if (cand) {
      cur.candidate = cand[1] === '(none)' ? undefined : cand[1];
      continue;
    }
    // version table: "  *** 1.2-3 500" / "     1.2-4 500" followed by source lines naming the archive
    const ver = /^\s+(?:\*\*\*\s+)?(\S+) -?\d+$/.exec(line);
    if (ver) {
      candidateSeen = ver[1] === cur.candidate;
      continue;
    }
    if (candidateSeen && /security/.test(line)) cur.security = true;
  }
  return out;
}

export async function checkFreshness(
  spec: BuildSpec,
  target: string,
  options: { signal?: AbortSignal; open?: OpenImageOptions } = {},
): Promise<FreshnessReport> {
  const image = await openImage(target, { ...options.open, signal: options.signal });
  const analysis = await analyzeImage(image, { cacheDir: null, scanners: new Set(), signal: options.signal });
  const debs = analysis.inventory.packages.filter((p) => p.type === 'deb');
  if (!debs.length) throw new InputError(`${target}: no Debian packages recorded in the image: nothing to check`);
  const dir = mkdtempSync(join(tmpdir(), 'zerocve-apt-'));
  try {
    for (const d of [
      'etc/apt/sources.list.d',
      'etc/apt/preferences.d',
      'etc/apt/trusted.gpg.d',
      'var/lib/apt/lists/partial',
      'var/cache/apt/archives/partial',
    ])
      mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'etc/apt/sources.list'), spec.mirrors.join('\n') + '\n');
    const keyring = '/usr/share/keyrings/debian-archive-keyring.gpg';
    if (existsSync(keyring)) copyFileSync(keyring, join(dir, 'etc/apt/trusted.gpg.d/debian-archive-keyring.gpg'));
    // the image's own status, rebuilt from the inventory (the image may not have a readable status file path here)
    writeFileSync(
      join(dir, 'status'),
      debs
        .map(
          (p) =>
            `Package: ${p.name}\nStatus: install ok installed\n` +
            `Architecture: ${p.metadata.kind === 'dpkg' ? p.metadata.arch : 'amd64'}\n` +
            `Version: ${p.version}\n`,
        )
        .join('\n'),
    );
    const apt = [
      '-o',
      `Dir=${dir}`,
      '-o',
      `Dir::State::status=${join(dir, 'status')}`,
      '-o',
      'Debug::NoLocking=1',
      '-o',
      'APT::Architecture=amd64',
      '-o',
      'Acquire::Check-Valid-Until=false',
    ];
    try {
      await run('apt-get', [...apt, '-qq', 'update'], { signal: options.signal, maxBuffer: 16 << 20 });
    } catch (err) {
      throw new InputError(
        `build --check: apt-get update with ${spec.file}'s mirrors failed: ` +
          `${((err as { stderr?: string }).stderr ?? String(err)).trim().split('\n').slice(-1)[0]}`,
        { cause: err },
      );
    }
    const names = [...new Set(debs.map((p) => p.name))];
    const { stdout } = await run('apt-cache', [...apt, 'policy', ...names], {
      signal: options.signal,
      maxBuffer: 64 << 20,
    });
    const policy = parseAptPolicy(stdout);
    const updates: FreshnessReport['updates'] = [];
    for (const p of debs) {
      const pol = policy.get(p.name);
      if (!pol?.candidate) continue;
      if (compareDpkg(pol.candidate, p.version) > 0)
        updates.push({ name: p.name, installed: p.version, candidate: pol.candidate, security: pol.security });
    }
    updates.sort((a, b) => Number(b.security) - Number(a.security) || (a.name < b.name ? -1 : 1));
    return { image: target, checked: debs.length, updates };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
