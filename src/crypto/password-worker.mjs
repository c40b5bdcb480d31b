// argon2 worker thread for src/crypto/password-worker-pool.ts. Plain JS so it loads without a
// TypeScript loader (under tsx, `node --import tsx` and plain node alike).
//
// Protocol. In: { id, op: 'hash', password, options } | { id, op: 'verify', encoded, password, options? }.
// Out: first { type: 'ready', tid, nice, note }, then per job { type: 'done', id, value } or
// { type: 'failed', id } (no library message crosses: it might quote the input).
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { hashSync, verifySync } from '@node-rs/argon2';

const LOWEST = 19; // nice value: the event-loop thread always wins the CPU over this thread

/**
 * On Linux, setpriority(PRIO_PROCESS, tid) applies to one thread, so this lowers only this
 * worker. Elsewhere it would renice the whole process (the event loop too), so it is not tried.
 */
function lowerPriority() {
  if (process.platform !== 'linux') return { tid: null, nice: null, note: `per-thread priority is Linux-only (${process.platform})` };
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isSafeInteger(tid) || tid <= 0) return { tid: null, nice: null, note: 'no thread id in /proc/thread-self' };
    setPriority(tid, LOWEST);
    return { tid, nice: getPriority(tid), note: null };
  } catch (err) {
    return { tid: null, nice: null, note: `could not lower the thread priority (${err?.code ?? 'error'})` };
  }
}

if (!parentPort) throw new Error('password-worker.mjs runs only as a worker thread');
const port = parentPort;
port.postMessage({ type: 'ready', ...lowerPriority() });

port.on('message', (msg) => {
  let value;
  try {
    if (msg.op === 'hash') value = hashSync(msg.password, msg.options);
    else if (msg.op === 'verify') {
      // A corrupt or foreign stored hash is a failed verification, not an error.
      try {
        value = verifySync(msg.encoded, msg.password, msg.options);
      } catch {
        value = false;
      }
    } else throw new Error('unknown op');
  } catch {
    port.postMessage({ type: 'failed', id: msg.id });
    return;
  }
  port.postMessage({ type: 'done', id: msg.id, value });
});
