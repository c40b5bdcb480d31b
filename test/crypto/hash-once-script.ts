// Run as a child process by password-worker-pool.test.ts. Nothing here keeps the process alive
// except the running job: it must print the result (a running job holds the process open) and
// then exit on its own (idle workers do not).
import { hashPassword, verifyPassword } from '../../src/crypto/password.ts';
import { passwordPool } from '../../src/crypto/password-worker-pool.ts';

void hashPassword('hash-once')
  .then((h) => verifyPassword(h, 'hash-once'))
  .then((ok) => process.stdout.write(`${JSON.stringify({ ok, threads: passwordPool.threads() })}\n`));
