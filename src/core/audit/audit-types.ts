/** What a caller hands to AuditService.append; the service adds seq, time, key version and hash. */
export interface AuditInput {
  /** dotted, lower case: 'auth.login', 'record.update', 'access.denied' */
  readonly action: string;
  readonly outcome: AuditOutcome;
  readonly actor?: { readonly accountId?: string | null; readonly tokenId?: string | null; readonly role?: string | null };
  readonly request?: { readonly ip: string; readonly id: string };
  readonly target?: { readonly collection?: string; readonly recordId?: string };
  /** Names and facts only: never a password, token, key or sensitive value. */
  readonly details?: Readonly<Record<string, AuditDetailValue>>;
}

export type AuditOutcome = 'success' | 'failure' | 'denied';
export type AuditDetailValue = string | number | boolean | readonly string[];

export const AUDIT_OUTCOMES: readonly AuditOutcome[] = ['success', 'failure', 'denied'];

/** An event as read back (export, tail, the admin API). */
export interface AuditEntry {
  readonly seq: number;
  readonly time: string;
  readonly actor: { readonly accountId: string | null; readonly tokenId: string | null; readonly role: string | null };
  readonly request: { readonly ip: string | null; readonly id: string | null };
  readonly action: string;
  readonly target: { readonly collection: string | null; readonly recordId: string | null };
  readonly outcome: string;
  readonly details: Record<string, unknown>;
  readonly keyVersion: number;
  readonly hash: string;
}
