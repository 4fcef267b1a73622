// Analyzer dispatch for one entry: every analyzer says what it wants from the header alone; the body is read once,
// only if someone wants bytes, and each chunk goes to every stream sink and into one buffer for `{ maxBytes }`
// analyzers. Entries nobody wants are never read (the tar reader skips them; the directory walk never opens them).
// Analyzer faults become problem facts.
//
// Sources that can seek (the directory walk) pass `randomAccess`: analyzers that offer readAt() then read only the
// bytes they need from the file instead of taking every chunk through a sink.
//
// Two steps, so that walkers can skip the asynchronous part for the many entries nobody claims: `claimEntry` asks
// every analyzer synchronously and returns null when none wants anything; `runClaim` then reads and analyzes.
import type { Analyzer, RandomAccessFile, Sink } from '../core/analyzer.ts';
import type { EntryHeader } from '../core/entry.ts';
import type { Fact } from '../core/fact.ts';
import type { ProblemCode } from '../core/package.ts';
import { reasonOf } from '../core/errors.ts';

const problem = (path: string, analyzer: string, code: ProblemCode, message: string): Fact => ({
  kind: 'problem',
  code,
  path,
  analyzer,
  message,
});

/** The analyzers that want something of one entry, and how. */
export interface Claim {
  headerOnly: Analyzer[] | null;
  buffered: Analyzer[] | null;
  sinks: { a: Analyzer; sink: Sink }[] | null;
  /** stream analyzers that read the file at random instead (only when the walker offered random access) */
  random: Analyzer[] | null;
}

/**
 * Asks every analyzer what it wants of `h` (problems from wants()/sink() go to `facts`). Null when nobody wants
 * anything: nothing to run, no bytes to read. `readable` false means the content exists but cannot be delivered
 * (sparse members). `randomAccess` true: the walker can hand runClaim a RandomAccessFile.
 */
export function claimEntry(
  h: EntryHeader,
  analyzers: readonly Analyzer[],
  facts: Fact[],
  readable: boolean,
  randomAccess = false,
): Claim | null {
  let random: Analyzer[] | null = null;
  let headerOnly: Analyzer[] | null = null;
  let buffered: Analyzer[] | null = null;
  let sinks: { a: Analyzer; sink: Sink }[] | null = null;
  for (const a of analyzers) {
    let want;
    try {
      want = a.wants(h);
    } catch (err) {
      facts.push(problem(h.path, a.name, 'analyzer-failed', `wants() failed: ${reasonOf(err)}`));
      continue;
    }
    if (want === null || want === undefined) continue;
    if (want === 'header') {
      (headerOnly ??= []).push(a);
      continue;
    }
    const hasBytes = h.type === 'file' && h.size > 0;
    if (hasBytes && !readable) {
      facts.push(problem(h.path, a.name, 'unsupported', 'content not available (sparse tar member): not analyzed'));
      continue;
    }
    if (want === 'stream') {
      if (randomAccess && a.readAt) {
        (random ??= []).push(a);
        continue;
      }
      if (!a.sink) {
        facts.push(problem(h.path, a.name, 'analyzer-failed', 'analyzer wants a stream but has no sink()'));
        continue;
      }
      try {
        (sinks ??= []).push({ a, sink: a.sink(h) });
      } catch (err) {
        facts.push(problem(h.path, a.name, 'analyzer-failed', `sink() failed: ${reasonOf(err)}`));
      }
      continue;
    }
    if (h.size > want.maxBytes) {
      facts.push(
        problem(
          h.path,
          a.name,
          'too-large',
          `file is ${h.size} bytes, over the ${want.maxBytes} bytes this analyzer reads: not analyzed`,
        ),
      );
      continue;
    }
    (buffered ??= []).push(a);
  }
  return headerOnly || buffered || sinks || random ? { headerOnly, buffered, sinks, random } : null;
}

/** True when running the claim reads the entry's content (someone wants bytes and there are some). */
export const claimReadsBody = (h: EntryHeader, c: Claim): boolean =>
  (c.buffered !== null || c.sinks !== null) && h.type === 'file' && h.size > 0;

/**
 * Runs a claim: header-only analyzers, the random-access ones on `file` (given whenever claim.random is set), then
 * one read of the body (called at most once) for the others.
 */
export async function runClaim(
  h: EntryHeader,
  claim: Claim,
  facts: Fact[],
  body: () => AsyncIterable<Buffer> | Iterable<Buffer>,
  file?: RandomAccessFile,
): Promise<void> {
  const { headerOnly, buffered } = claim;
  let sinks = claim.sinks;
  if (headerOnly) for (const a of headerOnly) await run(a, h, null, facts);
  if (claim.random) {
    if (!file) throw new Error('runClaim: random-access analyzers without a file');
    for (const a of claim.random) {
      try {
        facts.push(...(await a.readAt!(h, file)));
      } catch (err) {
        facts.push(problem(h.path, a.name, 'analyzer-failed', `failed: ${reasonOf(err)}`));
      }
    }
  }
  if (!buffered && !sinks) return;

  const hasBytes = h.type === 'file' && h.size > 0;
  const content = buffered ? Buffer.allocUnsafe(hasBytes ? h.size : 0) : null;
  let filled = 0;
  if (hasBytes) {
    for await (const chunk of body()) {
      if (content) {
        // a file that grew since it was listed: its listed size is what is analyzed
        filled += chunk.copy(content, filled);
      } else filled += chunk.length;
      if (sinks) {
        for (let i = 0; i < sinks.length; i++) {
          try {
            sinks[i].sink.write(chunk);
          } catch (err) {
            facts.push(problem(h.path, sinks[i].a.name, 'analyzer-failed', `sink write failed: ${reasonOf(err)}`));
            sinks.splice(i--, 1);
          }
        }
      }
    }
  }
  if (sinks) {
    for (const { a, sink } of sinks) {
      try {
        facts.push(...(await sink.end()));
      } catch (err) {
        facts.push(problem(h.path, a.name, 'analyzer-failed', `failed: ${reasonOf(err)}`));
      }
    }
  }
  if (buffered && content)
    for (const a of buffered) await run(a, h, filled === content.length ? content : content.subarray(0, filled), facts);
}

/**
 * Runs the analyzers on one entry and appends their facts. `body` yields the content (called at most once);
 * `readable` false means the content exists but cannot be delivered (sparse members).
 */
export async function dispatchEntry(
  h: EntryHeader,
  analyzers: readonly Analyzer[],
  facts: Fact[],
  readable: boolean,
  body: () => AsyncIterable<Buffer> | Iterable<Buffer>,
): Promise<void> {
  const claim = claimEntry(h, analyzers, facts, readable);
  if (claim) await runClaim(h, claim, facts, body);
}

async function run(a: Analyzer, h: EntryHeader, content: Buffer | null, facts: Fact[]): Promise<void> {
  if (!a.analyze) {
    facts.push(problem(h.path, a.name, 'analyzer-failed', 'analyzer has no analyze()'));
    return;
  }
  try {
    facts.push(...(await a.analyze(h, content)));
  } catch (err) {
    facts.push(problem(h.path, a.name, 'analyzer-failed', `failed: ${reasonOf(err)}`));
  }
}
