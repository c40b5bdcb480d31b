// A read-only SQLite connection on its own thread, for src/db/sqlite/scan-pool.ts: reads that
// scan (a `~` filter, a plan that visits every row) run here, so the event loop never waits for
// them. Plain JS so it loads without a TypeScript loader.
//
// In: { id, sql, parameters, deadline } (deadline: Date.now() milliseconds). Out: first
// { type: 'ready' }, then per job { type: 'rows', id, names, rows } (rows as arrays) or
// { type: 'timeout', id } or { type: 'failed', id } (no library message crosses).
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

if (!parentPort) throw new Error('scan-worker.mjs runs only as a worker thread');
const port = parentPort;
const { path, maxStatements, maxBytes, nice } = workerData;

/** Below the event-loop thread, so it always gets the CPU first (Linux: per-thread nice). */
function lowerPriority() {
  if (process.platform !== 'linux') return;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isSafeInteger(tid) && tid > 0) setPriority(tid, nice);
  } catch {
    // best effort: the budget still bounds the work
  }
}
lowerPriority();

const db = new Database(path, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
db.pragma('query_only = ON');

// The job's deadline. `~` compiles to instr(); this connection's instr checks the deadline every
// 256 calls and aborts the statement past it, so a substring scan stops at its budget. Only
// `instr(x, y) > 0` and `= 0` are ever compiled, so a UTF-16 position serves as well as SQLite's.
let deadline = Infinity;
let calls = 0;
class Timeout extends Error {}
db.function('instr', { deterministic: true }, (haystack, needle) => {
  if ((++calls & 255) === 0 && Date.now() > deadline) throw new Timeout('budget');
  if (haystack === null || needle === null) return null;
  return String(haystack).indexOf(String(needle)) + 1;
});

// Prepared statements in raw mode, bounded by count and by estimated native bytes.
const statements = new Map();
let bytes = 0;
const cost = (sql) => 32 * sql.length + 4096;
function statement(sql) {
  let entry = statements.get(sql);
  if (entry !== undefined) {
    statements.delete(sql);
    statements.set(sql, entry); // most recent last
    return entry;
  }
  const stmt = db.prepare(sql);
  if (!stmt.reader || !stmt.readonly) throw new Error('not a read');
  entry = { stmt: stmt.raw(true), names: stmt.columns().map((c) => c.name), bytes: cost(sql) };
  if (entry.bytes <= maxBytes / 8) {
    statements.set(sql, entry);
    bytes += entry.bytes;
    for (const [key, old] of statements) {
      if (statements.size <= maxStatements && bytes <= maxBytes) break;
      statements.delete(key);
      bytes -= old.bytes;
    }
  }
  return entry;
}

port.on('message', (msg) => {
  deadline = msg.deadline;
  try {
    const { stmt, names } = statement(msg.sql);
    const rows = stmt.all(msg.parameters);
    port.postMessage({ type: 'rows', id: msg.id, names, rows });
  } catch (err) {
    port.postMessage({ type: err instanceof Timeout || (err?.message === 'budget') ? 'timeout' : 'failed', id: msg.id });
  } finally {
    deadline = Infinity;
  }
});
port.postMessage({ type: 'ready' });
