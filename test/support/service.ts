// `zerocve serve` and `zerocve worker` as real child processes for end-to-end tests, and a checker that every
// response the tests receive conforms to the service's own OpenAPI document.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ROOT } from '../e2e/support.ts';

const BIN = join(ROOT, 'bin', 'zerocve.js');

export interface Child {
  proc: ChildProcess;
  /** everything the process wrote to stdout and stderr so far */
  output(): string;
  /** waits for a line matching re on stdout/stderr */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** SIGTERM (or the given signal) and wait for exit; returns the exit code or signal */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export function startCli(args: string[], env: Record<string, string> = {}): Child {
  const proc = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    // the service updates its vulnerability database by itself; tests bring their own data unless they say so
    env: { ...process.env, ZEROCVE_SKIP_DB_UPDATE: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const feed = (c: Buffer) => {
    out += c.toString();
    for (const w of [...waiters]) {
      const m = out.match(w.re);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  proc.stdout!.on('data', feed);
  proc.stderr!.on('data', feed);
  const exited = new Promise<number | string>((resolve) => proc.on('exit', (code, sig) => resolve(code ?? sig ?? -1)));
  return {
    proc,
    output: () => out,
    waitFor(re, ms = 60_000) {
      const m = out.match(re);
      if (m) return Promise.resolve(m);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${re} in:\n${out}`)), ms);
        waiters.push({
          re,
          resolve: (mm) => {
            clearTimeout(t);
            resolve(mm);
          },
        });
        void exited.then((code) => reject(new Error(`process exited (${code}) before ${re}:\n${out}`)));
      });
    },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

export async function until<T>(f: () => Promise<T | undefined | false>, what: string, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Checks responses against the OpenAPI document's schema for the operation and status. */
export function createResponseChecker(doc: Record<string, unknown>) {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ ...doc, $id: 'https://zerocve.invalid/openapi.json' });
  const paths = Object.keys(doc.paths as object);
  const esc = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
  const templateOf = (pathname: string): string | undefined =>
    paths.find((p) =>
      new RegExp(`^${p.replace(/\{[^}]+\}/g, p.includes('{repository}') ? '.+' : '[^/]+')}$`).test(pathname),
    );
  return (method: string, pathname: string, status: number, contentType: string, body: unknown): string[] => {
    const tpl = templateOf(pathname);
    if (!tpl) return [`${method} ${pathname}: no path in the OpenAPI document`];
    const op = (
      doc.paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>
    )[tpl][method.toLowerCase()];
    if (!op) return [`${method} ${tpl}: no such operation in the document`];
    const resp = op.responses[String(status)];
    if (!resp) return [`${method} ${tpl}: status ${status} is not documented`];
    if (!resp.content)
      return body === undefined || body === '' ? [] : [`${method} ${tpl} ${status}: documented without a body`];
    const media = Object.keys(resp.content).find((m) => contentType.startsWith(m));
    if (!media) return [`${method} ${tpl} ${status}: content type ${contentType} not documented`];
    const validate = ajv.getSchema(
      `https://zerocve.invalid/openapi.json#/paths/${esc(tpl)}/${method.toLowerCase()}` +
        `/responses/${status}/content/${esc(media)}/schema`,
    );
    if (!validate) return [`${method} ${tpl} ${status}: schema not found`];
    return validate(body) ? [] : [`${method} ${pathname} ${status}: ${ajv.errorsText(validate.errors)}`];
  };
}
