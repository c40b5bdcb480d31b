/** Runs one restore in its own process so a test can SIGKILL it half way. */
import { createReadStream } from 'node:fs';
import { restoreBackup } from '../../src/core/backup/restore-backup.ts';
import { openDatabase } from '../../src/db/open-database.ts';

const job = JSON.parse(process.env.SB_RESTORE_JOB ?? '{}');
const target = await openDatabase(job.target);
let told = false;
await restoreBackup({
  source: createReadStream(job.path, { highWaterMark: 64 * 1024 }),
  identities: [job.identity],
  trustedPublicKeys: [job.publicKey],
  target,
  onProgress: (done) => {
    if (told || done === 0) return;
    told = true;
    // rows are in the target's open transaction now: say so, then hold still until killed
    process.stdout.write('restoring\n');
    const until = Date.now() + 30_000;
    while (Date.now() < until) { /* wait for SIGKILL */ }
  },
});
await target.close();
process.stdout.write('done\n');
