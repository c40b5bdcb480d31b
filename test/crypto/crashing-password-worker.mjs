// Test stand-in for src/crypto/password-worker.mjs (same protocol, no renicing) that can kill its
// thread mid-job: password 'exit!' ends the thread, 'throw!' throws an uncaught error.
import { parentPort } from 'node:worker_threads';
import { hashSync, verifySync } from '@node-rs/argon2';

parentPort.postMessage({ type: 'ready', tid: null, nice: null, note: null });
parentPort.on('message', (msg) => {
  if (msg.password === 'exit!') process.exit(7);
  if (msg.password === 'throw!') throw new Error('worker crashed on purpose');
  const value = msg.op === 'hash' ? hashSync(msg.password, msg.options) : verifySync(msg.encoded, msg.password);
  parentPort.postMessage({ type: 'done', id: msg.id, value });
});
