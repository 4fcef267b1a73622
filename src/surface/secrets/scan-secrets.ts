// Secret detection in text files: a short list of high-signal rules (credentials with a recognisable shape),
// each match reported with its line and a redacted value (first 4 characters + `…`), never the secret itself.
//
// Where it looks (decided, see `secretPathExcluded`): documentation, licences, man pages, locales, headers,
// package-manager databases and test folders are skipped. Debian and PyPI ship test keys and sample tokens there
// (e.g. /usr/share/doc/*/examples, site-packages/*/tests/*.pem); they are public, not the image owner's
// credentials, and reporting them buries real findings. Files owned by an OS package are dropped afterwards by
// `secretsOutsidePackages` (the inventory is only known after the walk).
import type { Fact } from '../../core/fact.ts';
import { isOsPackageType } from '../../core/package-types.ts';
import type { FileOwners } from '../../catalog/index.ts';

export type SecretFact = Extract<Fact, { kind: 'secret' }>;

export interface SecretRule {
  id: string;
  title: string;
  /** one match per line; group 1 (or the whole match) is the secret value */
  pattern: RegExp;
  /** extra test on the value (e.g. reject documented example keys) */
  accept?: (value: string) => boolean;
}

const notExample = (v: string) => !/EXAMPLE|XXXXXXXX|0{16}/i.test(v);

export const SECRET_RULES: readonly SecretRule[] = [
  { id: 'private-key', title: 'Private key', pattern: /-----BEGIN[ A-Z0-9]*PRIVATE KEY( BLOCK)?-----/ },
  {
    id: 'aws-access-key-id',
    title: 'AWS access key ID',
    pattern: /\b((?:AKIA|ASIA)[0-9A-Z]{16})\b/,
    accept: notExample,
  },
  {
    id: 'aws-secret-access-key',
    title: 'AWS secret access key',
    pattern: /aws_?secret_?access_?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/i,
    accept: notExample,
  },
  { id: 'github-token', title: 'GitHub token', pattern: /\b(gh[pousr]_[A-Za-z0-9]{36,255})\b/ },
  {
    id: 'github-fine-grained-pat',
    title: 'GitHub fine-grained personal access token',
    pattern: /\b(github_pat_[A-Za-z0-9_]{82})\b/,
  },
  { id: 'huggingface-token', title: 'Hugging Face access token', pattern: /\b(hf_[A-Za-z0-9]{34,40})\b/ },
  {
    id: 'openai-api-key',
    title: 'OpenAI API key',
    pattern: new RegExp(
      String.raw`\b(sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}|` +
        String.raw`sk-[A-Za-z0-9]{48})(?![A-Za-z0-9_-])`,
    ),
  },
  { id: 'slack-token', title: 'Slack token', pattern: /\b(xox[abposr]-[0-9A-Za-z-]{10,})\b/ },
  {
    id: 'slack-webhook',
    title: 'Slack incoming webhook',
    pattern: /(https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/[A-Za-z0-9]{16,})/,
  },
];

const GCP_TYPE = /"type"\s*:\s*"service_account"/;
const GCP_KEY = /"private_key"\s*:\s*"(-----BEGIN[^"]{0,40})/;

/** `abcd…` */
export const redact = (value: string): string => `${value.slice(0, 4)}…`;

const NOT_TEXT_EXTENSION = new RegExp(
  String.raw`\.(pyc|so(\.\d+)*|a|o|gz|xz|bz2|zst|zip|whl|png|jpe?g|gif|ico|woff2?|ttf|pdf|mo|db|sqlite|bin|pt|pth|` +
    'safetensors|onnx|npy|npz)$',
);

/** Paths never scanned: public vendor material (docs, licences, tests) and package databases. */
export function secretPathExcluded(path: string): boolean {
  return (
    /^\/usr\/share\/(doc|man|info|locale|i18n|common-licenses|licenses|zoneinfo|perl5?|ca-certificates)\//.test(path) ||
    /^\/usr\/(local\/)?include\//.test(path) ||
    /^\/var\/lib\/(dpkg|apt|rpm|yum|dnf)\//.test(path) ||
    /^\/lib\/apk\/db\//.test(path) ||
    /^\/var\/cache\//.test(path) ||
    /^\/etc\/ssl\/certs\//.test(path) ||
    /\/(tests?|testing|testdata|test_data|examples?)\//.test(path) ||
    /\/python3(\.\d+)?\/test\//.test(path) ||
    NOT_TEXT_EXTENSION.test(path)
  );
}

/** Scan one text file's content. Binary content (a NUL in the first 8 KiB) yields nothing. */
export function scanSecrets(path: string, content: Buffer): SecretFact[] {
  if (content.subarray(0, 8192).includes(0)) return [];
  const text = content.toString('utf8');
  const facts: SecretFact[] = [];
  const lines = text.split('\n');
  const gcp = GCP_TYPE.test(text);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.length > 20_000) continue; // minified blobs: not credentials files
    if (gcp) {
      const m = GCP_KEY.exec(line);
      if (m) {
        facts.push({
          kind: 'secret',
          path,
          rule: 'gcp-service-account',
          title: 'GCP service account key',
          line: i + 1,
          redacted: redact(m[1]),
        });
        continue;
      }
    }
    for (const rule of SECRET_RULES) {
      const m = rule.pattern.exec(line);
      if (!m) continue;
      let value = m[1] ?? m[0];
      if (rule.id === 'private-key') value = lines[i + 1]?.trim() || m[0];
      if (rule.accept && !rule.accept(value)) continue;
      facts.push({ kind: 'secret', path, rule: rule.id, title: rule.title, line: i + 1, redacted: redact(value) });
    }
  }
  return facts;
}

/** Drop secrets in files an OS package owns (distro-shipped samples): they are public, not the image's. */
export function secretsOutsidePackages<T extends SecretFact>(secrets: readonly T[], owners: FileOwners): T[] {
  return secrets.filter((s) => owners.ownerOf(s.path, (p) => isOsPackageType(p.type)) === undefined);
}
