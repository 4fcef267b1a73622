// Real test images built from Debian packages (mmdebstrap + umoci), built once per machine and reused across
// test files (a lock directory serialises concurrent builders; a finished marker makes reuse cheap).
// Set ZEROCVE_FIXTURES to put them elsewhere; delete the folder to rebuild.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const FIXTURES_ROOT =
  process.env.ZEROCVE_FIXTURES ?? resolve(import.meta.dirname, '..', '..', '.cache', 'fixtures');

const MIRRORS = [
  'deb http://deb.debian.org/debian bookworm main',
  'deb http://deb.debian.org/debian-security bookworm-security main',
];

export interface FixtureSpec {
  /** Debian packages to include on top of minbase */
  packages: string[];
  /** image config */
  user?: string;
  cmd?: string[];
}

export const FIXTURES = {
  /** a small python3 image (~165 MB, ~8,000 entries) */
  python3: { packages: ['python3'], cmd: ['/usr/bin/python3'] },
  /** the official-style kitchen-sink ML image (~1.7 GB, ~39,000 entries) */
  ml: {
    packages: [
      'python3',
      'python3-pip',
      'python3-torch',
      'python3-torchvision',
      'python3-numpy',
      'python3-pil',
      'build-essential',
      'git',
      'curl',
      'wget',
      'openssh-client',
      'vim',
      'ca-certificates',
    ],
    cmd: ['/usr/bin/python3'],
  },
} satisfies Record<string, FixtureSpec>;

export type FixtureName = keyof typeof FIXTURES;

export interface Fixture {
  name: string;
  /** the unpacked root file system */
  rootfs: string;
  /** OCI image layout with tag `latest` (one layer holding the rootfs) */
  ociDir: string;
  /** `oci-dir:<ociDir>:latest` */
  target: string;
}

export const MISSING_TOOLS = ['mmdebstrap', 'umoci'].filter((t) => {
  try {
    execFileSync('which', [t], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
});

/** Why fixture images cannot be built here, or false when they can (for `test(…, { skip })`). */
export function fixtureSkip(): false | string {
  return MISSING_TOOLS.length ? `needs ${MISSING_TOOLS.join(', ')} (apt-get install mmdebstrap umoci)` : false;
}

async function withLock<T>(dir: string, fn: () => T | Promise<T>): Promise<T> {
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, '.lock');
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // a lock older than 20 minutes is from a killed builder
      try {
        if (Date.now() - statSync(lock).mtimeMs > 20 * 60_000) {
          rmSync(lock, { recursive: true, force: true });
          continue;
        }
      } catch {
        continue;
      }
      if (Date.now() > deadline) throw new Error(`fixture lock ${lock} held for too long`);
      await sleep(1000);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function run(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 << 20 });
  } catch (err) {
    const e = err as { stderr?: Buffer };
    throw new Error(
      `${cmd} ${args.slice(0, 4).join(' ')}… failed: ${e.stderr?.toString().trim().split('\n').slice(-3).join(' | ')}`,
      { cause: err },
    );
  }
}

/** Build (once) or reuse a fixture image. */
export async function fixtureImage(name: FixtureName): Promise<Fixture> {
  const spec: FixtureSpec = FIXTURES[name];
  const dir = join(FIXTURES_ROOT, name);
  const fx: Fixture = {
    name,
    rootfs: join(dir, 'rootfs'),
    ociDir: join(dir, 'oci'),
    target: `oci-dir:${join(dir, 'oci')}:latest`,
  };
  const done = join(dir, 'done.json');
  const want = JSON.stringify(spec);
  const ready = () => existsSync(done) && readFileSync(done, 'utf8') === want;
  if (ready()) return fx;
  return withLock(dir, () => {
    if (ready()) return fx;
    rmSync(fx.rootfs, { recursive: true, force: true });
    rmSync(fx.ociDir, { recursive: true, force: true });
    rmSync(done, { force: true });
    run('mmdebstrap', [
      '--variant=minbase',
      '--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr',
      '--quiet',
      `--include=${spec.packages.join(',')}`,
      'bookworm',
      fx.rootfs,
      ...MIRRORS,
    ]);
    run('umoci', ['init', '--layout', fx.ociDir]);
    run('umoci', ['new', '--image', `${fx.ociDir}:latest`]);
    run('umoci', ['insert', '--image', `${fx.ociDir}:latest`, fx.rootfs, '/']);
    const cfg = [
      'config',
      '--image',
      `${fx.ociDir}:latest`,
      '--config.env',
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    ];
    if (spec.user) cfg.push('--config.user', spec.user);
    for (const c of spec.cmd ?? []) cfg.push('--config.cmd', c);
    run('umoci', cfg);
    run('umoci', ['gc', '--layout', fx.ociDir]);
    writeFileSync(done, want);
    return fx;
  });
}
