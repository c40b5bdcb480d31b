import type { Database } from '../../db/database.ts';
import { lastSeqBefore, readAuditHead, readAuditRow, unsafePruneAuditRows } from '../../db/audit/audit-store.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import type { AuditConfig } from '../../config/config.ts';
import type { AuditService } from './audit-service.ts';
import { originFor } from './checkpoint.ts';
import { writeCheckpoint, type LoadedCheckpoint } from './checkpoint-folder.ts';
import { mayPruneAudit } from '../../db/postgres/role-check.ts';

export interface PruneResult {
  /** Events removed (seq ≤ uptoSeq). */
  readonly removed: number;
  readonly uptoSeq: number | null;
  readonly checkpointFile: string | null;
}

/**
 * The only way events leave the trail. It first verifies the whole chain (a broken chain is
 * never pruned: that would hide the break), then writes a signed "pruned up to seq N at hash H"
 * checkpoint outside the database, and only then deletes seq ≤ N and records (N, H) as the
 * chain's base, so `audit verify` still checks everything that is left. The prune itself is an
 * event (`audit.prune`).
 */
export async function pruneAudit(
  db: Database, audit: AuditService, config: AuditConfig,
  before: string, checkpoints: readonly LoadedCheckpoint[], now: () => Date = () => new Date(),
): Promise<PruneResult> {
  // Before anything is written: a prune checkpoint for a cut the role cannot make would be a lie.
  if (db.dialect === 'postgres') {
    const { role, may } = await mayPruneAudit(db.kysely);
    if (!may) {
      throw new StrongboxError('ERR_AUDIT_PRUNE_ROLE', `The role ${role} may not delete audit events (an app role holds only INSERT and SELECT on _sb_audit, as intended); `
        + 'set migrate.database (or STRONGBOX_MIGRATE_DATABASE_URL) to the owner role\'s URL: audit prune then connects as the owner.');
    }
  }
  const check = await audit.verify({ checkpoints });
  if (!check.ok) {
    throw new StrongboxError('ERR_AUDIT_VERIFY', `The audit trail is broken at seq ${check.firstBadSeq}; it is not pruned: ${check.problem}`);
  }
  const upto = await lastSeqBefore(db.kysely, before);
  const head = await readAuditHead(db.kysely);
  if (upto === null || upto <= head.baseSeq) return { removed: 0, uptoSeq: null, checkpointFile: null };
  const cut = await readAuditRow(db.kysely, upto);
  if (!cut) throw new StrongboxError('ERR_AUDIT_VERIFY', `Event ${upto} vanished while pruning.`);
  const file = writeCheckpoint(config.checkpoints, {
    origin: originFor(head.logId), size: head.seq, hash: head.hash, time: now().toISOString(),
    pruned: { seq: upto, hash: cut.hash },
  }, audit.checkpointSigner());
  const removed = await unsafePruneAuditRows(db, upto, cut.hash);
  await audit.append({ action: 'audit.prune', outcome: 'success', details: { uptoSeq: upto, removed, before } });
  return { removed, uptoSeq: upto, checkpointFile: file };
}
