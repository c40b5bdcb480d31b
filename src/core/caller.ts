/** Who is making a request, as rules see it (@auth.id, @auth.role, @auth.email). */
export interface Caller {
  readonly id: string | null;
  readonly role: string | null;
  readonly email: string | null;
  /** Set by the HTTP edge for the audit trail; rules never see it. */
  readonly request?: RequestContext;
}

/** The client IP and request id of an HTTP request, and the credential it used. */
export interface RequestContext {
  readonly ip: string;
  readonly id: string;
  /** A non-secret id of the session or API token (never the token itself). */
  readonly tokenId?: string | null;
}

export const ANONYMOUS: Caller = Object.freeze({ id: null, role: null, email: null });

/** Admins bypass collection rules; null rules mean admins only. */
export function isAdmin(caller: Caller): boolean {
  return caller.id !== null && caller.role === 'admin';
}
