// Test stand-in for src/crypto/password-worker.mjs: the real worker, plus a way to kill the
// thread mid-job. The crash listener is registered first, so it runs before the real one answers.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', (msg) => {
  if (msg.password === 'exit!') process.exit(7);
  if (msg.password === 'throw!') throw new Error('worker crashed on purpose');
});
await import('../../src/crypto/password-worker.mjs');
