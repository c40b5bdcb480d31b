import type pg from 'pg';

/** The client, with every query text it is sent recorded in `sent`. */
export function spyOnQueries(raw: pg.PoolClient): { spy: pg.PoolClient; sent: string[] } {
  const sent: string[] = [];
  const spy = new Proxy(raw, {
    get(target, prop, recv) {
      if (prop !== 'query') return Reflect.get(target, prop, recv);
      return (q: unknown, ...rest: unknown[]) => {
        sent.push(typeof q === 'string' ? q : (q as { text: string }).text);
        return (target.query as (...a: unknown[]) => unknown).call(target, q, ...rest);
      };
    },
  });
  return { spy, sent };
}
