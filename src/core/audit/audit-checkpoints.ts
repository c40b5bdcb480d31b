import type { AuditConfig } from '../../config/config.ts';
import type { AuditService } from './audit-service.ts';
import { readCheckpointFile, readCheckpointFolder, type LoadedCheckpoint } from './checkpoint-folder.ts';
import { existsSync } from 'node:fs';

/**
 * The checkpoints `audit verify` compares with: the given file (plus the folder's prune
 * checkpoints, which a pruned chain needs), else every checkpoint in the folder. A missing or
 * unreadable folder is ERR_AUDIT_CHECKPOINT_DIR; a bad file stops verification with its code.
 */
export function loadCheckpoints(audit: AuditService, config: AuditConfig, file?: string): LoadedCheckpoint[] {
  const key = audit.publicKey();
  const dir = config.checkpoints;
  if (file === undefined) return readCheckpointFolder(dir, key);
  const one = readCheckpointFile(file, key);
  const prunes = existsSync(dir) ? readCheckpointFolder(dir, key).filter((c) => c.pruned) : [];
  return [...prunes, one];
}
