import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseConfig } from '../../src/config/config.ts';
import type { Engine } from '../../src/core/engine.ts';
import type { DialectCtx } from '../helpers/dialects.ts';
import { openTestEngine } from '../helpers/test-engine.ts';
import type { AuditInput } from '../../src/core/audit/audit-types.ts';

export interface AuditFixture {
  readonly engine: Engine;
  readonly database: DatabaseConfig;
  readonly checkpointDir: string;
  close(): Promise<void>;
}

export async function openAuditFixture(t: DialectCtx): Promise<AuditFixture> {
  const database = await t.freshDatabase();
  const engine = await openTestEngine(database);
  const checkpointDir = mkdtempSync(join(tmpdir(), 'sb-audit-cp-'));
  return { engine, database, checkpointDir, close: () => engine.close() };
}

export const sampleEvent = (i: number): AuditInput => ({
  action: 'test.event',
  outcome: i % 3 === 0 ? 'failure' : 'success',
  actor: { accountId: `acct${i % 7}`, role: 'user', tokenId: null },
  request: { ip: '127.0.0.1', id: `req-${i}` },
  target: { collection: 'notes', recordId: `rec${i}` },
  details: { n: i, fields: ['title', 'body'] },
});
