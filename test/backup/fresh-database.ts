/** A fresh empty database of a given dialect, outside eachDialect (cross-engine restores). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseConfig } from '../../src/config/config.ts';
import type { Dialect } from '../../src/db/database.ts';
import { postgresStatus, testCluster } from '../helpers/dialects.ts';

export async function freshFor(dialect: Dialect): Promise<DatabaseConfig | null> {
  if (dialect === 'sqlite') return { kind: 'sqlite', path: join(mkdtempSync(join(tmpdir(), 'sb-restore-')), 'target.db') };
  const status = postgresStatus();
  if (!status.available) {
    if (status.mustFail) throw new Error(`PostgreSQL is required but missing: ${status.reason}`);
    return null;
  }
  const c = await testCluster();
  return { kind: 'postgres', url: await c.createDatabase(), password: c.password };
}
