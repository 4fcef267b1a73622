// The octopus demo (examples/octopus-detector) in CI size: its one-command workload (`octopus.py selftest`: draw a
// training set and a separately seeded test set, train the CNN, classify) runs with PyTorch in the kitchen-sink ML
// image's root through the sandbox, and the real `zerocve slim` CLI cuts that image down to what the workload used.
// The full demo (two `zerocve build`s, the default data size, the compare tables) is examples/octopus-detector/demo.sh.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fixtureImage, fixtureSkip } from '../support/images.ts';
import { runInRoot, sandboxSkip } from '../../src/runtime/index.ts';
import { openImage } from '../../src/image/index.ts';
import { extractImage } from '../../src/walk/extract.ts';
import { imageWithLayer, zerocve, ROOT } from './support.ts';

const SCRIPT = join(ROOT, 'examples', 'octopus-detector', 'octopus.py');
const CLASSES = ['octopus', 'whale', 'penguin'];
// CI size: 60 training pictures per class, 30 test pictures per class, 5 epochs (~2 s of training on 2 cores)
const TINY = ['--per-class', '60', '--test-per-class', '30', '--epochs', '5'];

const skip = fixtureSkip() || sandboxSkip();
const work = mkdtempSync(join(tmpdir(), 'zc-e2e-octopus-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface Outcome {
  accuracy: number;
  perClass: Map<string, [number, number]>;
  verdict: string | undefined;
}

/** What the selftest printed: the accuracy line, `class: right/total` lines and the pass/fail verdict. */
function outcome(stdout: string): Outcome {
  const acc = /^accuracy (\d\.\d+)$/m.exec(stdout);
  assert.ok(acc, `no accuracy line in:\n${stdout}`);
  const perClass = new Map<string, [number, number]>();
  for (const m of stdout.matchAll(/^(\w+): (\d+)\/(\d+)$/gm)) perClass.set(m[1], [Number(m[2]), Number(m[3])]);
  return { accuracy: Number(acc[1]), perClass, verdict: /^selftest (passed|FAILED):/m.exec(stdout)?.[1] };
}

test(
  'octopus selftest trains and classifies with PyTorch in the ML image root; its accuracy gate can fail',
  { skip, timeout: 900_000 },
  async () => {
    const ml = await fixtureImage('ml');
    const code = readFileSync(SCRIPT, 'utf8');
    // the script is passed with -c so the shared fixture root is not written to; its data lives in the sandbox's /tmp
    const run = await runInRoot(ml.rootfs, ['python3', '-c', code, 'selftest', ...TINY], { timeoutMs: 300_000 });
    assert.equal(run.exitCode, 0, run.stderr.slice(-2000));
    const o = outcome(run.stdout);
    assert.match(run.stdout, /^generated 180 images in train$/m);
    assert.match(run.stdout, /^generated 90 images in test$/m);
    assert.equal([...run.stdout.matchAll(/^epoch \d+: loss [\d.]+$/gm)].length, 5);
    assert.deepEqual([...o.perClass.keys()], CLASSES);
    let right = 0;
    for (const [c, [ok, total]] of o.perClass) {
      assert.equal(total, 30, c);
      right += ok;
    }
    assert.equal(
      o.accuracy.toFixed(3),
      (right / 90).toFixed(3),
      'the accuracy is the share of test pictures classified right',
    );
    assert.ok(o.accuracy >= 0.9, `accuracy ${o.accuracy}`);
    assert.equal(o.verdict, 'passed');

    // the same run with a bar it cannot reach exits 1: the workload really gates on accuracy (slim relies on it)
    const strict = await runInRoot(ml.rootfs, ['python3', '-c', code, 'selftest', ...TINY, '--min-accuracy', '1.01'], {
      timeoutMs: 300_000,
    });
    assert.equal(strict.exitCode, 1, strict.stderr.slice(-2000));
    assert.equal(outcome(strict.stdout).verdict, 'FAILED');
  },
);

test(
  'zerocve slim of the ML image with the octopus workload keeps under half the bytes and still trains',
  { skip, timeout: 900_000 },
  async (t) => {
    const ml = await fixtureImage('ml');
    // the way the demo's kitchen-sink image carries it: /app/octopus.py in a layer on top of the ML base
    const target = await imageWithLayer(ml.ociDir, join(work, 'ks'), [
      { path: '/app/octopus.py', body: readFileSync(SCRIPT), mode: 0o755 },
    ]);
    const out = join(work, 'slim');
    const workload = `python3 /app/octopus.py selftest ${TINY.join(' ')}`;
    const r = await zerocve(
      [
        'slim',
        target,
        '--run',
        workload,
        '-o',
        `oci-dir:${out}:slim`,
        '--verify-output',
        '-q',
        '-f',
        'json',
        '--timeout',
        '300',
      ],
      { env: { TMPDIR: work } },
    );
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    const report = JSON.parse(r.stdout) as {
      commands: { argv: string[]; exitCode: number; verify?: { exitCode: number; stdoutMatches: boolean } }[];
      packages: { removed: string[] };
    };
    // --verify-output: the slim image printed the very same losses and per-class counts as the original
    assert.deepEqual(
      report.commands.map((c) => [c.argv, c.exitCode, c.verify?.exitCode, c.verify?.stdoutMatches]),
      [[workload.split(' '), 0, 0, true]],
    );
    for (const p of ['gcc-12', 'git', 'vim', 'openssh-client', 'curl'])
      assert.ok(report.packages.removed.includes(p), `${p} is gone`);

    // sizes measured independently of slim's own report: the image totals as `zerocve inspect` reads them
    const totals = async (t: string) => {
      const i = await zerocve(['inspect', t, '-f', 'json', '--no-cache']);
      assert.equal(i.code, 0, i.stderr);
      return (JSON.parse(i.stdout) as { totals: { files: number; bytes: number } }).totals;
    };
    const before = await totals(target);
    const slim = await totals(`oci-dir:${out}:slim`);
    t.diagnostic(`ML image ${before.files} files ${before.bytes} bytes; slim ${slim.files} files ${slim.bytes} bytes`);
    assert.ok(slim.bytes < 0.5 * before.bytes, `slim ${slim.bytes} bytes of ${before.bytes}`);
    assert.ok(slim.files < 0.5 * before.files, `slim ${slim.files} files of ${before.files}`);

    // and the slim image, extracted afresh, still trains and classifies (with other data: a different test-set size)
    const image = await openImage(`oci-dir:${out}:slim`);
    const fresh = join(work, 'fresh');
    await extractImage(image, fresh);
    assert.ok(existsSync(join(fresh, 'app/octopus.py')));
    assert.ok(
      !existsSync(join(fresh, 'usr/bin/gcc')) && !existsSync(join(fresh, 'usr/bin/git')),
      'tool chain and git not kept',
    );
    const run = await runInRoot(
      fresh,
      ['python3', '/app/octopus.py', 'selftest', '--per-class', '60', '--test-per-class', '20', '--epochs', '5'],
      { env: image.config.env, timeoutMs: 300_000 },
    );
    assert.equal(run.exitCode, 0, run.stderr.slice(-2000));
    const o = outcome(run.stdout);
    assert.deepEqual(
      [...o.perClass.values()].map(([, total]) => total),
      [20, 20, 20],
    );
    assert.ok(o.accuracy >= 0.9, `accuracy ${o.accuracy}`);
  },
);
