import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { request as httpsRequest } from 'node:https';
import { pinning } from './load.ts';

export interface Child {
  readonly url: string;
  readonly proc: ChildProcess;
  stop(): Promise<number | null>;
}

/**
 * Starts a server process on the server CPU (when pinning is on) and resolves with the URL it
 * prints (`listening on http://…`). taskset execs node, so the pid is node's.
 */
export function startProcess(args: readonly string[], cwd: string, timeoutMs = 60_000): Promise<Child> {
  const [cmd, ...pre] = [...pinning.server, process.execPath];
  const proc = spawn(cmd, [...pre, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  proc.stderr.setEncoding('utf8').on('data', (d: string) => { out += d; });
  const exited = new Promise<number | null>((done) => proc.on('exit', (code) => done(code)));
  return new Promise((done, fail) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); fail(new Error(`no URL within ${timeoutMs} ms:\n${out}`)); }, timeoutMs);
    const check = (): void => {
      const m = /listening on (https?:\/\/\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      proc.stdout.off('data', check);
      done({
        url: m[1],
        proc,
        stop: async () => {
          if (proc.exitCode === null) proc.kill('SIGTERM');
          const kill = setTimeout(() => proc.kill('SIGKILL'), 15_000);
          const code = await exited;
          clearTimeout(kill);
          return code;
        },
      });
    };
    proc.stdout.on('data', check);
    void exited.then((code) => { clearTimeout(timer); fail(new Error(`exited (${code}) before listening:\n${out}`)); });
  });
}

/** Lets a pinned server (all its threads) run on every CPU again. */
export function unpin(child: Child): void {
  if (pinning.server.length === 0 || child.proc.pid === undefined) return;
  spawnSync('taskset', ['-a', '-p', '-c', `0-${cpus().length - 1}`, String(child.proc.pid)], { stdio: 'ignore' });
}

let benchCa: string | undefined;
/** The CA that HTTPS setup calls trust (the TLS mode's dev CA). */
export function trustCa(pem: string): void {
  benchCa = pem;
}

function httpsCall(url: string, method: string, headers: Record<string, string>, body: string | undefined): Promise<{ status: number; text: string }> {
  return new Promise((done, fail) => {
    const req = httpsRequest(url, { method, headers, ca: benchCa, timeout: 30_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => { text += d; }).on('end', () => done({ status: res.statusCode ?? 0, text }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', fail);
    req.end(body);
  });
}

/** JSON over fetch (or node:https with the bench CA) with a timeout; throws on an unexpected status. */
export async function call(url: string, method: string, path: string, opts: { body?: unknown; token?: string; expect?: number } = {}): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const headers: Record<string, string> = {};
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const res = url.startsWith('https:')
    ? await httpsCall(url + path, method, headers, body)
    : await fetch(url + path, { method, headers, body, signal: AbortSignal.timeout(30_000) }).then(async (r) => ({ status: r.status, text: await r.text() }));
  const text = res.text;
  if (res.status !== (opts.expect ?? 200)) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

/** Runs `count` tasks with at most `width` in flight. */
export async function pool<T>(count: number, width: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      out[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, worker));
  return out;
}
