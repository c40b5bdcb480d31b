/**
 * Security events of sign-in and account administration. Each has exactly one call site
 * (grep the type name). The engine writes them to the audit trail (auditSink in open-sign-in.ts).
 */
export type AuthEventType =
  | 'auth.login.succeeded'
  | 'auth.login.failed'
  | 'auth.login.throttled'
  | 'auth.register.throttled'
  | 'auth.logout'
  | 'auth.account.registered'
  | 'auth.account.register_taken'
  | 'auth.session.revoked'
  | 'auth.password.changed'
  | 'auth.password.reset_issued'
  | 'auth.password.reset_used'
  | 'auth.mfa.enrolled'
  | 'auth.mfa.succeeded'
  | 'auth.mfa.failed'
  | 'auth.mfa.recovery_used'
  | 'auth.token.created'
  | 'auth.token.revoked'
  | 'auth.account.role_changed'
  | 'auth.account.disabled'
  | 'auth.account.enabled'
  | 'auth.account.unlocked'
  | 'auth.mtls.succeeded'
  | 'auth.mtls.unmapped'
  | 'auth.mtls.unverified'
  | 'auth.mtls.refused';

export interface AuthEvent {
  readonly type: AuthEventType;
  /** the account the event is about (null: unknown account, e.g. a failed login for an unknown email) */
  readonly accountId: string | null;
  /** who did it when not the account itself (an admin) */
  readonly actorId?: string | null;
  readonly ip?: string | null;
  /** the HTTP request id, for the audit trail */
  readonly requestId?: string | null;
  /** a non-secret id of the session or API token involved */
  readonly tokenId?: string | null;
  readonly role?: string | null;
  /** never a password, token, hash or secret */
  readonly detail?: Readonly<Record<string, string | number | boolean | null>>;
}

export interface AuthEventSink {
  emit(event: AuthEvent): Promise<void>;
}

export const NO_AUTH_EVENTS: AuthEventSink = { emit: async () => undefined };
