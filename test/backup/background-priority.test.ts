import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tempDir } from './backup-fixture.ts';

const NOT_LINUX = process.platform === 'linux' ? false
  : `!!! SKIPPED: per-thread priorities are Linux-only; on ${process.platform} a backup runs at normal priority !!!`;
if (NOT_LINUX) process.stderr.write(`\n${NOT_LINUX}\n\n`);

const src = (path: string): string => pathToFileURL(join(import.meta.dirname, '../../src', path)).href;

/** Runs `body` (an ES module) in a child process under tsx with these arguments; its stdout as JSON. */
function child(body: string, args: readonly string[] = []): Record<string, unknown> {
  const file = join(tempDir('sb-priority-'), 'child.mjs');
  writeFileSync(file, body);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file, ...args], { encoding: 'utf8', cwd: join(import.meta.dirname, '../..') });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim()) as Record<string, unknown>;
}

const THREAD_NICE = `
import { readlinkSync } from 'node:fs';
import { getPriority } from 'node:os';
const tid = () => Number(readlinkSync('/proc/thread-self').split('/').pop());
const nice = () => getPriority(tid());
`;

test('backup create runs its whole process at nice 19 from its first module on; other commands keep their priority', { skip: NOT_LINUX }, () => {
  const body = `${THREAD_NICE}
const before = nice();
await import(${JSON.stringify(src('cli/background-priority.ts'))});
const { Worker } = await import('node:worker_threads');
// a thread started afterwards (the archive, a checkpointer) inherits it
const worker = await new Promise((resolve) => {
  const w = new Worker("const { parentPort } = require('node:worker_threads'); const { getPriority } = require('node:os'); const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop()); parentPort.postMessage(getPriority(tid));", { eval: true });
  w.once('message', (n) => { resolve(n); void w.terminate(); });
});
console.log(JSON.stringify({ before, after: nice(), process: getPriority(), worker }));
`;
  const create = child(body, ['backup', 'create']);
  assert.deepEqual({ after: create.after, process: create.process, worker: create.worker }, { after: 19, process: 19, worker: 19 });
  const verify = child(body, ['backup', 'verify']);
  assert.equal(verify.after, verify.before, 'backup verify keeps its priority (a restore drill by hand is urgent)');
});

test('a backup thread lowers its priority to nice 10 but never raises one already lower (as root it could)', { skip: NOT_LINUX }, () => {
  const body = `${THREAD_NICE}
const { lowerThreadPriority, lowerProcessPriority } = await import(${JSON.stringify(src('core/backup/backup-thread.ts'))});
const { setPriority } = await import('node:os');
const start = nice();
lowerThreadPriority(10);
const lowered = nice();
setPriority(tid(), 19);
lowerThreadPriority(10);
lowerProcessPriority(10);
console.log(JSON.stringify({ start, lowered, kept: nice() }));
`;
  const r = child(body);
  assert.ok((r.start as number) < 10, `the test starts below nice 10 (at ${String(r.start)})`);
  assert.equal(r.lowered, 10);
  assert.equal(r.kept, 19);
});
