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

interface AuditVerifier {
  verify(opts?: object): Promise<{ ok: boolean; headSeq: number; problem: string | null }>;
}

/**
 * Checks a restored audit chain (src/core/audit verify) and that it ends at the manifest's
 * head. Returns what is wrong, or null; "not checked" when the engine has no audit trail.
 */
export async function checkRestoredAudit(engine: object, head: { seq: number; hash: string } | null): Promise<string | null | 'not checked'> {
  const audit = (engine as { audit?: AuditVerifier }).audit;
  if (audit === undefined || typeof audit.verify !== 'function') return 'not checked';
  // Without the keyring the audit keys are per process (never stored): a restored chain's
  // HMACs cannot be checked by another process, so there is nothing to verify with.
  if (!('keys' in engine)) return 'not checked';
  return auditProblem(await audit.verify(), head);
}

/** What is wrong with a verified chain against the manifest's head, or null. */
export function auditProblem(r: { ok: boolean; headSeq: number; problem: string | null }, head: { seq: number; hash: string } | null): string | null {
  if (!r.ok) return `the restored audit chain does not verify: ${r.problem ?? 'unknown problem'}`;
  const want = head?.seq ?? 0;
  if (r.headSeq !== want) return `the restored audit chain ends at seq ${r.headSeq}, the manifest says ${want}`;
  return null;
}
