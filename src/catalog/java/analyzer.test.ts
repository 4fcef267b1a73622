// Java archives: manifest, properties and file-name rules; archives nested the way Spring Boot (BOOT-INF/lib,
// stored) and wars (WEB-INF/lib, deflated) nest them, built here with zip from real Debian jars of the ecosystems
// fixture image; the reference is unzip -p of each inner jar's pom.properties and sha1sum of the inner jar.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ecosystemImage, ecosystemSkip } from '../../../test/support/ecosystem-image.ts';
import { buildInventory } from '../index.ts';
import { analyzeFiles } from '../../../test/support/walk-root.ts';
import { createJavaAnalyzer, MAX_DEPTH } from './analyzer.ts';
import { javaIdentityFromFileName, parseManifest, parseProperties } from './parse-java.ts';

test('java: properties, manifest and file-name rules', () => {
  const p = parseProperties('#c\n! c\ngroupId=org.x\nartifactId : y\nversion   1.0\nlong=a\\\n  b\n');
  assert.deepEqual(
    [...p],
    [
      ['groupId', 'org.x'],
      ['artifactId', 'y'],
      ['version', '1.0'],
      ['long', 'ab'],
    ],
  );
  assert.deepEqual(
    parseManifest(
      'Manifest-Version: 1.0\r\nBundle-SymbolicName: com.google.inject.gra\r\n pher;singleton:=true\r\n' +
        'Bundle-Version: 4.2.3\r\n\r\nName: x\r\nImplementation-Version: 9\r\n',
    ),
    { name: 'com.google.inject.grapher', version: '4.2.3', groupId: undefined },
  );
  assert.deepEqual(
    parseManifest('Implementation-Title: t\nImplementation-Version: 2\nImplementation-Vendor-Id: org.apache\n'),
    {
      name: 't',
      version: '2',
      groupId: 'org.apache',
    },
  );
  assert.deepEqual(javaIdentityFromFileName('commons-text-1.10.0.jar'), {
    artifactId: 'commons-text',
    version: '1.10.0',
  });
  assert.deepEqual(javaIdentityFromFileName('guava-31.1-jre.jar'), { artifactId: 'guava', version: '31.1-jre' });
  assert.equal(javaIdentityFromFileName('commons-text.jar'), undefined);
});

const zipSkip = spawnSync('zip', ['-v']).status === 0 ? ecosystemSkip() : 'needs zip';

test(
  'java: nested archives (stored BOOT-INF/lib, deflated WEB-INF/lib) to a bounded depth',
  { skip: zipSkip, timeout: 40 * 60_000 },
  async () => {
    const img = await ecosystemImage();
    const java = join(img.debianRoot, 'usr/share/java');
    const dir = mkdtempSync(join(tmpdir(), 'zerocve-jar-test-'));
    const pomOf = (jar: string): string[] =>
      spawnSync('unzip', ['-Z1', jar], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter((l) => /^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/.test(l))
        .map((pom) => {
          const t = execFileSync('unzip', ['-p', jar, pom], { encoding: 'utf8' });
          const v = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(t)?.[1].trim();
          return `${v('groupId')}:${v('artifactId')}@${v('version')}`;
        });
    const sha1 = (f: string) => execFileSync('sha1sum', [f], { encoding: 'utf8' }).split(' ')[0];

    // a Spring Boot-style jar: inner jars stored (zip -0), no pom.properties of its own, a versioned name
    mkdirSync(join(dir, 'boot/BOOT-INF/lib'), { recursive: true });
    mkdirSync(join(dir, 'boot/META-INF'), { recursive: true });
    writeFileSync(join(dir, 'boot/META-INF/MANIFEST.MF'), 'Manifest-Version: 1.0\nMain-Class: x.Main\n');
    for (const j of ['log4j-core.jar', 'commons-text.jar'])
      copyFileSync(join(java, j), join(dir, 'boot/BOOT-INF/lib', j));
    execFileSync('zip', ['-q', '-0', '-r', join(dir, 'app-1.2.3.jar'), '.'], { cwd: join(dir, 'boot') });
    // a war: inner jars deflated
    mkdirSync(join(dir, 'war/WEB-INF/lib'), { recursive: true });
    copyFileSync(join(java, 'commons-lang3.jar'), join(dir, 'war/WEB-INF/lib/commons-lang3.jar'));
    execFileSync('zip', ['-q', '-9', '-r', join(dir, 'web.war'), '.'], { cwd: join(dir, 'war') });
    // nesting deeper than MAX_DEPTH
    let inner = join(java, 'commons-io.jar');
    for (let i = 0; i <= MAX_DEPTH; i++) {
      const d = join(dir, `deep${i}`);
      mkdirSync(join(d, 'lib'), { recursive: true });
      copyFileSync(inner, join(d, 'lib', i === 0 ? 'commons-io.jar' : `level${i - 1}.jar`));
      inner = join(dir, `level${i}.jar`);
      execFileSync('zip', ['-q', '-0', '-r', inner, '.'], { cwd: d });
    }

    // over 16 MB (not held in memory: temporary files), with a deflated inner jar over 16 MB
    mkdirSync(join(dir, 'big/WEB-INF/lib'), { recursive: true });
    const innerBig = join(dir, 'big/WEB-INF/lib/inner-big-1.0.jar');
    copyFileSync(join(java, 'commons-text.jar'), innerBig);
    writeFileSync(join(dir, 'random.bin'), randomBytes(17 << 20));
    execFileSync('zip', ['-q', '-0', innerBig, 'random.bin'], { cwd: dir });
    execFileSync('zip', ['-q', '-1', '-r', join(dir, 'big.war'), '.'], { cwd: join(dir, 'big') });

    const files = [
      { path: '/srv/big.war', source: join(dir, 'big.war') },
      { path: '/srv/app-1.2.3.jar', source: join(dir, 'app-1.2.3.jar') },
      { path: '/srv/web.war', source: join(dir, 'web.war') },
      { path: '/srv/deep.jar', source: inner },
    ];
    // the walk of an unpacked root reads each archive in place (readAt); a layer's tar streams it through the
    // sink: the same facts either way
    const facts = await analyzeFiles([createJavaAnalyzer()], files);
    for (const f of files) {
      const bytes = readFileSync(f.source);
      const entry = { path: f.path, type: 'file' as const, mode: 0o644, uid: 0, gid: 0, size: bytes.length, mtime: 0 };
      const sink = createJavaAnalyzer().sink!(entry);
      for (let o = 0; o < bytes.length; o += 65536) sink.write(bytes.subarray(o, o + 65536));
      assert.deepEqual(
        await sink.end(),
        facts.filter((x) => x.path === f.path).map(({ layer: _, ...x }) => x),
        f.path,
      );
    }
    const inv = buildInventory(facts);
    const at = (archive: string) =>
      inv.packages
        .filter((p) => p.metadata.kind === 'maven' && p.metadata.archive === archive)
        .map((p) => `${p.name}@${p.version}`)
        .sort();
    assert.deepEqual(at('/srv/app-1.2.3.jar'), ['app@1.2.3']);
    assert.deepEqual(at('/srv/app-1.2.3.jar!/BOOT-INF/lib/log4j-core.jar'), pomOf(join(java, 'log4j-core.jar')).sort());
    assert.deepEqual(
      at('/srv/app-1.2.3.jar!/BOOT-INF/lib/commons-text.jar'),
      pomOf(join(java, 'commons-text.jar')).sort(),
    );
    assert.deepEqual(at('/srv/web.war!/WEB-INF/lib/commons-lang3.jar'), pomOf(join(java, 'commons-lang3.jar')).sort());
    const sha = (archive: string) =>
      inv.packages.find((p) => p.metadata.kind === 'maven' && p.metadata.archive === archive)?.metadata as {
        sha1: string;
      };
    assert.equal(sha('/srv/app-1.2.3.jar').sha1, sha1(join(dir, 'app-1.2.3.jar')));
    assert.equal(sha('/srv/app-1.2.3.jar!/BOOT-INF/lib/log4j-core.jar').sha1, sha1(join(java, 'log4j-core.jar')));
    assert.equal(sha('/srv/web.war!/WEB-INF/lib/commons-lang3.jar').sha1, sha1(join(java, 'commons-lang3.jar')));
    assert.deepEqual(at('/srv/big.war!/WEB-INF/lib/inner-big-1.0.jar'), pomOf(join(java, 'commons-text.jar')).sort());
    assert.equal(sha('/srv/big.war!/WEB-INF/lib/inner-big-1.0.jar').sha1, sha1(innerBig));
    // every package is located at the outer file, the nesting is in metadata
    for (const p of inv.packages)
      assert.ok(['/srv/app-1.2.3.jar', '/srv/web.war', '/srv/deep.jar', '/srv/big.war'].includes(p.locations[0].path));
    rmSync(dir, { recursive: true, force: true });
    // depth: level 4 is read at depth 4, its inner jars are not, and that is reported
    assert.ok(
      inv.problems.some(
        (p) => p.path === '/srv/deep.jar' && p.code === 'too-large' && /nested deeper than 4 levels/.test(p.message),
      ),
    );
    assert.equal(
      at(`/srv/deep.jar${'!/lib/level3.jar!/lib/level2.jar!/lib/level1.jar!/lib/level0.jar'}!/lib/commons-io.jar`)
        .length,
      0,
    );
  },
);

test('java: a file that is not a zip is one problem', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zerocve-jar-bad-'));
  writeFileSync(join(dir, 'x.jar'), 'not a zip at all, just text long enough to be looked at');
  const inv = buildInventory(
    await analyzeFiles([createJavaAnalyzer()], [{ path: '/x.jar', source: join(dir, 'x.jar') }]),
  );
  assert.deepEqual(inv.packages, []);
  assert.equal(inv.problems.length, 1);
  assert.match(inv.problems[0].message, /^\/x\.jar: no end of central directory record/);
  assert.equal(inv.problems[0].code, 'malformed');
  rmSync(dir, { recursive: true, force: true });
});
