// Analyzer dispatch for one entry: every analyzer says what it wants from the header alone; the body is read once,
// only if someone wants bytes, and each chunk goes to every stream sink and into one buffer for `{ maxBytes }`
// analyzers. Entries nobody wants are never read (the tar reader skips them). Analyzer faults become problem facts.
import type { Analyzer, Sink } from '../core/analyzer.ts';
import type { EntryHeader } from '../core/entry.ts';
import type { Fact } from '../core/fact.ts';
import { reasonOf } from '../core/errors.ts';

const problem = (path: string, analyzer: string, message: string): Fact => ({
  kind: 'problem',
  path,
  analyzer,
  message,
});

/**
 * Runs the analyzers on one entry and appends their facts. `body` yields the content (called at most once);
 * `readable` false means the content exists but cannot be delivered (sparse members).
 */
export async function dispatchEntry(
  h: EntryHeader,
  analyzers: readonly Analyzer[],
  facts: Fact[],
  readable: boolean,
  body: () => AsyncIterable<Buffer>,
): Promise<void> {
  let headerOnly: Analyzer[] | null = null;
  let buffered: Analyzer[] | null = null;
  let sinks: { a: Analyzer; sink: Sink }[] | null = null;
  for (const a of analyzers) {
    let want;
    try {
      want = a.wants(h);
    } catch (err) {
      facts.push(problem(h.path, a.name, `wants() failed: ${reasonOf(err)}`));
      continue;
    }
    if (want === null || want === undefined) continue;
    if (want === 'header') {
      (headerOnly ??= []).push(a);
      continue;
    }
    const hasBytes = h.type === 'file' && h.size > 0;
    if (hasBytes && !readable) {
      facts.push(problem(h.path, a.name, 'content not available (sparse tar member): not analyzed'));
      continue;
    }
    if (want === 'stream') {
      if (!a.sink) {
        facts.push(problem(h.path, a.name, 'analyzer wants a stream but has no sink()'));
        continue;
      }
      try {
        (sinks ??= []).push({ a, sink: a.sink(h) });
      } catch (err) {
        facts.push(problem(h.path, a.name, `sink() failed: ${reasonOf(err)}`));
      }
      continue;
    }
    if (h.size > want.maxBytes) {
      facts.push(
        problem(
          h.path,
          a.name,
          `file is ${h.size} bytes, over the ${want.maxBytes} bytes this analyzer reads: not analyzed`,
        ),
      );
      continue;
    }
    (buffered ??= []).push(a);
  }

  if (headerOnly) for (const a of headerOnly) await run(a, h, null, facts);
  if (!buffered && !sinks) return;

  const hasBytes = h.type === 'file' && h.size > 0;
  const content = buffered ? Buffer.allocUnsafe(hasBytes ? h.size : 0) : null;
  let filled = 0;
  if (hasBytes) {
    for await (const chunk of body()) {
      if (content) {
        chunk.copy(content, filled);
      }
      filled += chunk.length;
      if (sinks) {
        for (let i = 0; i < sinks.length; i++) {
          try {
            sinks[i].sink.write(chunk);
          } catch (err) {
            facts.push(problem(h.path, sinks[i].a.name, `sink write failed: ${reasonOf(err)}`));
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
        facts.push(problem(h.path, a.name, `failed: ${reasonOf(err)}`));
      }
    }
  }
  if (buffered && content)
    for (const a of buffered) await run(a, h, filled === content.length ? content : content.subarray(0, filled), facts);
}

async function run(a: Analyzer, h: EntryHeader, content: Buffer | null, facts: Fact[]): Promise<void> {
  if (!a.analyze) {
    facts.push(problem(h.path, a.name, 'analyzer has no analyze()'));
    return;
  }
  try {
    facts.push(...(await a.analyze(h, content)));
  } catch (err) {
    facts.push(problem(h.path, a.name, `failed: ${reasonOf(err)}`));
  }
}
