// Runs SQLite WAL checkpoints on its own thread and connection, so copying pages back into the
// database file never stalls the event loop. Plain JS: it loads under node and tsx alike.
import BetterSqlite3 from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

const { path, intervalMs } = workerData;
const db = new BetterSqlite3(path, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
db.pragma('wal_autocheckpoint = 0');

const timer = setInterval(() => {
  try {
    // PASSIVE: copies what it can without waiting on, or blocking, readers and the writer
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // busy or closing: the next tick tries again, and the main connection's fallback threshold still applies
  }
}, intervalMs);

parentPort.on('message', (msg) => {
  if (msg !== 'close') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
