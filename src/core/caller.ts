/** Who is making a request, as rules see it (@auth.id, @auth.role, @auth.email). */
export interface Caller {
  readonly id: string | null;
  readonly role: string | null;
  readonly email: string | null;
}

export const ANONYMOUS: Caller = Object.freeze({ id: null, role: null, email: null });

/** Admins bypass collection rules; null rules mean admins only. */
export function isAdmin(caller: Caller): boolean {
  return caller.id !== null && caller.role === 'admin';
}
