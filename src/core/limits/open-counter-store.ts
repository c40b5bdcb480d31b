import type { StrongboxConfig } from '../../config/config.ts';
import type { Database } from '../../db/database.ts';
import type { CounterStore } from './counter-store.ts';
import { DatabaseCounterStore } from './database-counter-store.ts';
import { MemoryCounterStore } from './memory-counter-store.ts';

/**
 * rateLimit.store: 'auto' shares counters through PostgreSQL (many instances) and keeps them in
 * process on SQLite (one machine, one server process).
 */
export function openCounterStore(config: StrongboxConfig, db: Database): CounterStore {
  const kind = config.rateLimit.store === 'auto' ? (db.dialect === 'postgres' ? 'database' : 'memory') : config.rateLimit.store;
  return kind === 'database' ? new DatabaseCounterStore(db) : new MemoryCounterStore();
}
