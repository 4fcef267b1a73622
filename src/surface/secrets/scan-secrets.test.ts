import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redact, scanSecrets, secretPathExcluded, secretsOutsidePackages } from './scan-secrets.ts';
import { createSecretAnalyzer } from '../analyzers.ts';
import { walkRoot, inventoryOf } from '../../../test/support/walk-root.ts';
import { createFileOwners } from '../../catalog/index.ts';
import { BLOAT_ROOT, debianRoot, mmdebstrapSkip } from '../testing/debian-root.ts';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** random characters from an alphabet: shaped like a credential, never a real one */
const rand = (n: number, alphabet = ALNUM) => [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function realKey(type: 'rsa' | 'ed25519'): string {
  const dir = mkdtempSync(join(tmpdir(), 'zerocve-key-'));
  try {
    if (type === 'rsa')
      return execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
    return readFileSync(join(dir, 'k'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('rules find shaped credentials and report them redacted', () => {
  const rsa = realKey('rsa');
  const ed = realKey('ed25519');
  const aws = `AKIA${rand(16, UPPER)}`;
  const awsSecret = rand(40);
  const ghp = `ghp_${rand(36)}`;
  const fine = `github_pat_${rand(22)}_${rand(59)}`;
  const hf = `hf_${rand(34)}`;
  const proj = `sk-proj-${rand(64)}`;
  const legacy = `sk-${rand(20)}T3BlbkFJ${rand(20)}`;
  const slack = `xoxb-${rand(12, '0123456789')}-${rand(24)}`;
  const gcp = JSON.stringify(
    {
      type: 'service_account',
      project_id: 'p',
      private_key_id: rand(40),
      private_key: rsa,
      client_email: 'a@p.iam.gserviceaccount.com',
    },
    null,
    2,
  );
  const cases: [string, string, { rule: string; line: number; redacted: string }[]][] = [
    ['/app/id_rsa', rsa, [{ rule: 'private-key', line: 1, redacted: redact(rsa.split('\n')[1]) }]],
    ['/root/.ssh/id_ed25519', ed, [{ rule: 'private-key', line: 1, redacted: redact(ed.split('\n')[1]) }]],
    [
      '/app/.env',
      `# creds\nAWS_ACCESS_KEY_ID=${aws}\nAWS_SECRET_ACCESS_KEY=${awsSecret}\n`,
      [
        { rule: 'aws-access-key-id', line: 2, redacted: redact(aws) },
        { rule: 'aws-secret-access-key', line: 3, redacted: redact(awsSecret) },
      ],
    ],
    [
      '/root/.aws/credentials',
      `[default]\naws_secret_access_key = ${awsSecret}\n`,
      [{ rule: 'aws-secret-access-key', line: 2, redacted: redact(awsSecret) }],
    ],
    [
      '/app/ci.sh',
      `export GH=${ghp}\ngit clone https://x:${fine}@github.com/a/b\n`,
      [
        { rule: 'github-token', line: 1, redacted: 'ghp_…' },
        { rule: 'github-fine-grained-pat', line: 2, redacted: 'gith…' },
      ],
    ],
    [
      '/root/.cache/huggingface/token',
      `${hf}\n`,
      [{ rule: 'huggingface-token', line: 1, redacted: 'hf_' + hf[3] + '…' }],
    ],
    [
      '/app/config.py',
      `OPENAI_API_KEY = "${proj}"\nold = '${legacy}'\n`,
      [
        { rule: 'openai-api-key', line: 1, redacted: 'sk-p…' },
        { rule: 'openai-api-key', line: 2, redacted: redact(legacy) },
      ],
    ],
    ['/app/slack.json', `{"token": "${slack}"}`, [{ rule: 'slack-token', line: 1, redacted: 'xoxb…' }]],
    [
      '/app/sa.json',
      gcp,
      [
        {
          rule: 'gcp-service-account',
          line: gcp.split('\n').findIndex((l) => l.includes('"private_key"')) + 1,
          redacted: '----…',
        },
      ],
    ],
  ];
  for (const [path, text, want] of cases) {
    const got = scanSecrets(path, Buffer.from(text)).map(({ rule, line, redacted }) => ({ rule, line, redacted }));
    assert.deepEqual(got, want, path);
    for (const f of scanSecrets(path, Buffer.from(text)))
      assert.ok(f.redacted.length === 5 && f.redacted.endsWith('…'), `${path}: value redacted to 4 characters`);
  }
});

test('look-alikes are not secrets', () => {
  const negatives: [string, string][] = [
    [
      'AWS documentation example',
      'aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n',
    ],
    ['public key', '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n'],
    ['certificate', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'],
    ['prose', 'the task-sk-related option; see ghp_ tokens; hf_hub_download(repo)\n'],
    ['short prefix', 'key = "sk-1234"\ntoken = "ghp_abc"\n'],
    ['service account without key', '{"type": "service_account", "client_email": "a@b"}'],
  ];
  for (const [name, text] of negatives) assert.deepEqual(scanSecrets('/app/x', Buffer.from(text)), [], name);
  const binary = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0]), Buffer.from(`ghp_${rand(36)}`)]);
  assert.deepEqual(scanSecrets('/app/bin', binary), [], 'binary content');
});

test('which paths are scanned', () => {
  const table: [string, boolean][] = [
    ['/usr/share/doc/openssl/demos/key.pem', true],
    ['/usr/lib/python3/dist-packages/urllib3/tests/server.key', true],
    ['/usr/local/lib/python3.11/site-packages/tornado/test/test.key', true],
    ['/usr/include/openssl/pem.h', true],
    ['/var/lib/dpkg/status', true],
    ['/usr/lib/x86_64-linux-gnu/libssl.so.3', true],
    ['/app/.env', false],
    ['/root/.ssh/id_rsa', false],
    ['/etc/ssl/private/ssl-cert-snakeoil.key', false],
    ['/home/user/.cache/huggingface/token', false],
  ];
  for (const [path, excluded] of table) assert.equal(secretPathExcluded(path), excluded, path);
  const a = createSecretAnalyzer();
  const e = { path: '/app/.env', type: 'file' as const, mode: 0o644, uid: 0, gid: 0, mtime: 0 };
  assert.deepEqual(a.wants({ ...e, size: 100 }), { maxBytes: 1024 * 1024 });
  assert.equal(a.wants({ ...e, size: 2 * 1024 * 1024 }), null);
  assert.equal(a.wants({ ...e, size: 0 }), null);
});

test('secrets in files an OS package owns are dropped', () => {
  const f = (path: string) => ({
    kind: 'secret' as const,
    path,
    rule: 'private-key',
    title: 'Private key',
    line: 1,
    redacted: 'MIIE…',
  });
  const inventory = {
    packages: [
      {
        id: 'deb:x@1',
        type: 'deb' as const,
        name: 'x',
        version: '1',
        purl: 'pkg:deb/debian/x@1',
        locations: [],
        files: ['/etc/x/sample.key', '/bin/x-keygen'],
        metadata: { kind: 'dpkg' as const, source: 'x', sourceVersion: '1', arch: 'amd64' },
      },
    ],
    models: [],
    problems: [],
  };
  assert.deepEqual(
    secretsOutsidePackages(
      [f('/etc/x/sample.key'), f('/app/id_rsa'), f('/usr/bin/x-keygen'), f('/usr/sbin/y-keygen')],
      createFileOwners(inventory.packages),
    ).map((s) => s.path),
    // /bin/x-keygen as the package lists it is /usr/bin/x-keygen on a merged-/usr system
    ['/app/id_rsa', '/usr/sbin/y-keygen'],
  );
});

test('no false positives in a real Debian root', { skip: mmdebstrapSkip(), timeout: 15 * 60_000 }, async () => {
  const root = await debianRoot(BLOAT_ROOT);
  const { facts } = await walkRoot(root, [createSecretAnalyzer()]);
  const found = facts.filter((f) => f.kind === 'secret');
  if (process.env.ZEROCVE_PRINT) process.stdout.write(`${JSON.stringify(found)}\n`);
  const secrets = secretsOutsidePackages(found, (await inventoryOf(root)).owners);
  assert.deepEqual(secrets, []);
  assert.deepEqual(
    facts.filter((f) => f.kind === 'problem'),
    [],
  );
});
