/**
 * Scenario (g) of `npm run bench`: one client sends worst-case substring filters (40 needles that
 * almost match every 10,000-character body of its 300 notes) back to back, while the latency
 * probe measures (a). Each attack is answered 200 or 503 ERR_QUERY_TIMEOUT within the read budget
 * (docs/bounded-cost.md); what matters is that other callers do not wait behind it.
 */
import { call, pool } from './processes.ts';

export const NOTES_COLLECTION = `  notes:
    fields:
      body: { type: text }
    rules:
      list: "owner = @auth.id"
      view: "owner = @auth.id"
      create: "@auth.id != null"
`;

const ATTACK = Array.from({ length: 40 }, (_, i) => `body ~ "${'a'.repeat(10 + i)}b"`).join(' || ');

/** Registers the attacker and gives them 300 notes of 10,000 characters. */
export async function prepareAttacker(url: string, password: string): Promise<string> {
  await call(url, 'POST', '/api/auth/register', { body: { email: 'attacker@example.com', password }, expect: 201 });
  const token = (await call(url, 'POST', '/api/auth/login', { body: { email: 'attacker@example.com', password } })).token as string;
  await pool(300, 8, () => call(url, 'POST', '/api/collections/notes/records', { body: { body: 'a'.repeat(10_000) }, token, expect: 201 }));
  return token;
}

export interface AttackStats { requests: number; timeouts: number; maxMs: number; failures: number }

/** Sends the attack filter back to back until `stop` resolves. */
export async function attackUntil(url: string, token: string, stop: Promise<unknown>): Promise<AttackStats> {
  const stats: AttackStats = { requests: 0, timeouts: 0, maxMs: 0, failures: 0 };
  let done = false;
  void stop.then(() => { done = true; });
  const path = `/api/collections/notes/records?filter=${encodeURIComponent(ATTACK)}`;
  while (!done) {
    const start = performance.now();
    const res = await fetch(url + path, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    stats.maxMs = Math.max(stats.maxMs, performance.now() - start);
    stats.requests++;
    if (res.status === 503 && text.includes('ERR_QUERY_TIMEOUT')) stats.timeouts++;
    else if (res.status !== 200) stats.failures++;
  }
  return stats;
}
