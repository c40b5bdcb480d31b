import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, getPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { hashPassword, verifyPassword, verifyDummyPassword, PASSWORD_PARAMS } from '../../src/crypto/password.ts';
import { PasswordWorkerPool, passwordPool } from '../../src/crypto/password-worker-pool.ts';
import { StrongboxError } from '../../src/errors/strongbox-error.ts';

const OPTIONS = { ...PASSWORD_PARAMS, algorithm: 2 };
const CRASHING = new URL('./crashing-password-worker.mjs', import.meta.url);
const isCode = (code: string) => (err: unknown) => err instanceof StrongboxError && err.code === code;

const NOT_LINUX = process.platform === 'linux' ? false
  : `!!! SKIPPED: per-thread priorities are Linux-only; on ${process.platform} the password workers run at normal priority !!!`;
if (NOT_LINUX) process.stderr.write(`\n${NOT_LINUX}\n\n`);

/** The nice value of one thread of this process, from /proc (field 19 of its stat line). */
function threadNice(tid: number): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  // Fields after the parenthesised command name start at field 3 (state).
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19 - 3]);
}

test('the password workers run at nice 19 and the event-loop thread keeps its priority', { skip: NOT_LINUX }, async () => {
  const mainBefore = getPriority(process.pid);
  await hashPassword('warm-up');
  const threads = passwordPool.threads();
  assert.ok(threads.length >= 1, 'a worker is alive after a hash');
  for (const { tid, nice } of threads) {
    assert.ok(tid !== null && tid !== process.pid, `worker thread id ${tid}`);
    assert.equal(nice, 19);
    assert.equal(threadNice(tid), 19, '/proc says nice 19');
    assert.equal(getPriority(tid), 19);
  }
  assert.equal(getPriority(process.pid), mainBefore, 'only the worker thread was reniced');
  assert.notEqual(threadNice(process.pid), 19);
});

test('a worker that dies mid-job rejects that job and is replaced', async () => {
  const pool = new PasswordWorkerPool({ size: 1, script: CRASHING });
  try {
    const first = await pool.hash('before', OPTIONS);
    const [firstThread] = pool.threads();
    for (const crash of ['exit!', 'throw!']) {
      const crashing = pool.hash(crash, OPTIONS);
      const queued = pool.verify(first, 'before'); // waits behind the crashing job
      await assert.rejects(crashing, isCode('ERR_INTERNAL'));
      assert.equal(await queued, true, 'the job behind the crash runs on a new worker');
    }
    assert.equal(pool.threads().length, 1);
    assert.notEqual(pool.threads()[0].threadId, firstThread.threadId, 'a new worker thread');
  } finally {
    await pool.close();
  }
});

test('past the waiting bound, callers get ERR_UNAVAILABLE; the accepted jobs all finish', async () => {
  const pool = new PasswordWorkerPool({ size: 1, maxWaiting: 2 });
  try {
    const accepted = [pool.hash('a', OPTIONS), pool.hash('b', OPTIONS), pool.hash('c', OPTIONS)];
    await assert.rejects(pool.hash('d', OPTIONS), isCode('ERR_UNAVAILABLE'));
    const hashes = await Promise.all(accepted);
    assert.equal(new Set(hashes).size, 3);
    assert.ok(hashes.every((h) => h.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')));
    assert.equal(await pool.verify(hashes[1], 'b'), true);
    assert.equal(await pool.verify(hashes[1], 'a'), false);
  } finally {
    await pool.close();
  }
});

test('a dummy hash that failed under overload is retried, not cached as a failure', async () => {
  // Fill the shared pool's slots and waiting room, so the dummy's first hash is turned away.
  const flood = Array.from({ length: Math.max(1, availableParallelism() - 1) + 256 }, (_, i) => hashPassword(`flood-${i}`));
  await assert.rejects(verifyDummyPassword('x'), isCode('ERR_UNAVAILABLE'));
  await Promise.all(flood);
  assert.equal(await verifyDummyPassword('x'), false);
});

test('a corrupt stored hash verifies as false through the worker, never as an error', async () => {
  for (const bad of ['', 'garbage', '$argon2id$v=19$m=1', '$argon2id$v=19$m=19456,t=2,p=1$@@@$@@@']) {
    assert.equal(await verifyPassword(bad, 'x'), false);
  }
});

test('after close, running and new jobs get ERR_UNAVAILABLE', async () => {
  const pool = new PasswordWorkerPool({ size: 1 });
  const running = pool.hash('closing', OPTIONS);
  await pool.close();
  await assert.rejects(running, isCode('ERR_UNAVAILABLE'));
  await assert.rejects(pool.hash('after', OPTIONS), isCode('ERR_UNAVAILABLE'));
});

// The worker is a plain .mjs file; it must load however the TypeScript entry point was started,
// and an idle pool must not keep a CLI command or test file from exiting.
const SCRIPT = fileURLToPath(new URL('./hash-once-script.ts', import.meta.url));
const TSX_CLI = fileURLToPath(import.meta.resolve('tsx/cli'));
for (const [how, args] of [['node --import tsx', ['--import', 'tsx', SCRIPT]], ['tsx', [TSX_CLI, SCRIPT]]] as const) {
  test(`under ${how}: a running job holds the process open, an idle pool lets it exit`, () => {
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.signal, null, `killed by the timeout: the process did not exit (${r.stderr})`);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim()) as { ok: boolean; threads: { nice: number | null }[] };
    assert.equal(out.ok, true);
    assert.equal(out.threads.length, 1);
    if (!NOT_LINUX) assert.equal(out.threads[0].nice, 19);
  });
}
