// Server workloads: start the command in the sandbox, wait until http://127.0.0.1:PORT/ answers (any HTTP status),
// then stop it. The sandbox shares the host's network namespace for this (a fresh namespace has its loopback down
// and the runtime does not bring it up), so the port must be free on the host: a busy port is refused up front, or
// the probe could be answered by someone else's server.
//
// Stopping: the runtime's sandbox is `unshare --pid --fork …`, whose forked child is PID 1 of a new pid namespace;
// killing that one process makes the kernel kill everything in the namespace, after which unshare and strace exit
// normally and the trace is read as usual. The process is found by its own command line (the sandbox marker and this
// root, unique per run) among the children of processes this run started.
import { readdirSync, readFileSync } from 'node:fs';
import { InputError, UsageError } from '../../core/errors.ts';
import { runInRoot, type RunOptions, type RunResult } from '../../runtime/index.ts';

const POLL_MS = 200;

async function answers(port: number, signal?: AbortSignal): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, {
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(2000)]) : AbortSignal.timeout(2000),
    });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

/** pids whose parent is `ppid` */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === ppid) out.push(Number(d));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** The `unshare --pid --fork` process of the sandbox running in `root`. */
function sandboxProcess(root: string): number | undefined {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (argv[0] === 'unshare' && argv.includes('zerocve-sandbox') && argv.includes(root)) return Number(d);
    } catch {
      /* exited meanwhile */
    }
  }
  return undefined;
}

export async function probeHttp(
  root: string,
  argv: string[],
  options: RunOptions & { port: number },
): Promise<RunResult> {
  const { port } = options;
  if (await answers(port, options.signal))
    throw new UsageError(
      `probe http: something on this host already answers on 127.0.0.1:${port}; stop it or choose another port`,
    );
  let finished: RunResult | undefined;
  const running = runInRoot(root, argv, { ...options, network: true }).then((r) => {
    finished = r;
    return r;
  });
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let answered = false;
  while (!finished && Date.now() < deadline) {
    options.signal?.throwIfAborted();
    if (await answers(port, options.signal)) {
      answered = true;
      break;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const exitedEarly = finished !== undefined;
  if (!finished) {
    const outer = sandboxProcess(root);
    if (outer === undefined)
      throw new InputError(`probe http: cannot find the sandbox of ${argv[0]} in ${root} to stop it`);
    for (const pid of childrenOf(outer)) process.kill(pid, 'SIGKILL');
  }
  const r = await running;
  if (answered) return { ...r, exitCode: 0, timedOut: false };
  const why = exitedEarly ? `exited (${r.exitCode}) before it` : 'never';
  return {
    ...r,
    exitCode: r.exitCode === 0 ? 1 : r.exitCode,
    stderr: `${r.stderr}\nprobe http: 127.0.0.1:${port} ${why} answered`,
  };
}
