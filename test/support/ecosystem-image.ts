// A real test image holding what ML images carry beyond OS and Python packages, built once per machine from real
// packages and cached under $ZEROCVE_FIXTURES/ecosystems:
// - layer 0: Debian 12 minbase + fzf (a Go binary built by Debian's go1.19), liblog4j2-java and
//   libcommons-text-java (jars with Maven pom.properties), node-minimist and node-lodash (npm packages installed by
//   dpkg under /usr/share/nodejs);
// - layer 1: `/app`: an `npm install` of old known-vulnerable versions (node_modules and package-lock.json), and
//   `/opt/esbuild`: esbuild's own npm package for linux-x64 (`npm pack @esbuild/linux-x64`), a Go binary from a
//   current toolchain; `/opt/bullseye`: Debian 11's fzf package unpacked (a Go binary from go1.15, pre-1.18 layout).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FIXTURES_ROOT } from './images.ts';

export const ECOSYSTEM_SPEC = {
  debian: ['fzf', 'liblog4j2-java', 'libcommons-text-java', 'node-minimist', 'node-lodash'],
  npm: [
    'lodash@4.17.15',
    'minimist@1.2.0',
    'ws@7.4.5',
    '@babel/helper-string-parser@7.19.4',
    'debug@2.6.9',
    'ms@2.1.3',
  ],
  esbuild: '@esbuild/linux-x64@0.28.2',
  /** a Go binary from before Go 1.18 (Debian 11's fzf, built by go1.15: the pointer layout) */
  oldGo: 'http://deb.debian.org/debian/pool/main/f/fzf/fzf_0.24.3-1+b6_amd64.deb',
};

export interface EcosystemImage {
  /** layer 0 (Debian) unpacked */
  debianRoot: string;
  /** layer 1 unpacked (holds `app/` and `opt/`) */
  appRoot: string;
  ociDir: string;
  target: string;
}

export function ecosystemSkip(): false | string {
  for (const t of ['mmdebstrap', 'umoci', 'npm', 'curl', 'dpkg-deb']) {
    try {
      execFileSync('which', [t], { stdio: 'ignore' });
    } catch {
      return `needs ${t}`;
    }
  }
  return false;
}

function run(cmd: string, args: string[], cwd?: string): void {
  try {
    execFileSync(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 << 20, timeout: 20 * 60_000 });
  } catch (err) {
    const e = err as { stderr?: Buffer };
    throw new Error(
      `${cmd} ${args.slice(0, 4).join(' ')}… failed: ${e.stderr?.toString().trim().split('\n').slice(-3).join(' | ')}`,
      { cause: err },
    );
  }
}

async function lock(dir: string): Promise<() => void> {
  mkdirSync(dir, { recursive: true });
  const l = join(dir, '.lock');
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    try {
      mkdirSync(l);
      return () => rmSync(l, { recursive: true, force: true });
    } catch {
      try {
        if (Date.now() - statSync(l).mtimeMs > 20 * 60_000) rmSync(l, { recursive: true, force: true });
      } catch {
        /* raced with its removal */
      }
      if (Date.now() > deadline) throw new Error(`fixture lock ${l} held for too long`);
      await sleep(1000);
    }
  }
}

/** Build (once) or reuse the image. */
export async function ecosystemImage(): Promise<EcosystemImage> {
  const dir = join(FIXTURES_ROOT, 'ecosystems');
  const img: EcosystemImage = {
    debianRoot: join(dir, 'debian'),
    appRoot: join(dir, 'app-layer'),
    ociDir: join(dir, 'oci'),
    target: `oci-dir:${join(dir, 'oci')}:latest`,
  };
  const done = join(dir, 'done.json');
  const want = JSON.stringify({ ...ECOSYSTEM_SPEC, layer1: 'gnu-tar' });
  const ready = () => existsSync(done) && readFileSync(done, 'utf8') === want;
  if (ready()) return img;
  const unlock = await lock(dir);
  try {
    if (ready()) return img;
    rmSync(done, { force: true });
    // the Debian layer is kept across changes of the application layer
    const debianDone = join(dir, 'debian.json');
    const debianWant = JSON.stringify(ECOSYSTEM_SPEC.debian);
    if (!existsSync(debianDone) || readFileSync(debianDone, 'utf8') !== debianWant) {
      rmSync(img.debianRoot, { recursive: true, force: true });
      run('mmdebstrap', [
        '--variant=minbase',
        '--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr',
        '--quiet',
        `--include=${ECOSYSTEM_SPEC.debian.join(',')}`,
        'bookworm',
        img.debianRoot,
        'deb http://deb.debian.org/debian bookworm main',
      ]);
      writeFileSync(debianDone, debianWant);
    }
    for (const d of [img.appRoot, img.ociDir]) rmSync(d, { recursive: true, force: true });
    const app = join(img.appRoot, 'app');
    mkdirSync(app, { recursive: true });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'fixture-app', version: '1.0.0', private: true }));
    run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', ...ECOSYSTEM_SPEC.npm], app);
    const opt = join(img.appRoot, 'opt');
    mkdirSync(opt, { recursive: true });
    run('npm', ['pack', '--silent', ECOSYSTEM_SPEC.esbuild], opt);
    const tgz = readdirSync(opt).find((f) => f.endsWith('.tgz'))!;
    mkdirSync(join(opt, 'esbuild'));
    run('tar', ['-xzf', tgz, '-C', join(opt, 'esbuild'), '--strip-components=1'], opt);
    rmSync(join(opt, tgz));
    const deb = join(opt, 'old-go.deb');
    run('curl', ['-sSf', '-m', '300', '-o', deb, ECOSYSTEM_SPEC.oldGo]);
    run('dpkg-deb', ['-x', deb, join(opt, 'bullseye')]);
    rmSync(deb);
    run('umoci', ['init', '--layout', img.ociDir]);
    run('umoci', ['new', '--image', `${img.ociDir}:latest`]);
    run('umoci', ['insert', '--image', `${img.ociDir}:latest`, img.debianRoot, '/']);
    // umoci 0.4.7's insert writes a truncated tar for this tree (the esbuild binary is cut short): the layer is made
    // with GNU tar instead
    const tar = join(dir, 'app-layer.tar');
    run('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', img.appRoot, '-cf', tar, '.']);
    run('umoci', ['raw', 'add-layer', '--image', `${img.ociDir}:latest`, tar]);
    rmSync(tar, { force: true });
    run('umoci', ['gc', '--layout', img.ociDir]);
    writeFileSync(done, want);
    return img;
  } finally {
    unlock();
  }
}
