/** The audit trail as backups use it (src/core/audit when it is there). */
interface AuditLike {
  append(event: {
    action: string;
    outcome: 'success' | 'failure';
    actor?: { accountId?: string | null; role?: string | null };
    details?: Readonly<Record<string, string | number | boolean>>;
  }): Promise<void>;
}

/**
 * Appends a backup event (backup.create, backup.verify, backup.restore) when the engine has an
 * audit trail. Details are names and facts only: file names, counts, error codes.
 */
export async function auditBackup(engine: object, action: string, ok: boolean, details: Record<string, string | number | boolean>): Promise<void> {
  const audit = (engine as { audit?: AuditLike }).audit;
  if (audit === undefined || typeof audit.append !== 'function') return;
  await audit.append({ action, outcome: ok ? 'success' : 'failure', actor: { accountId: null, role: 'system' }, details });
}
