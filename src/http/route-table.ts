import type { FastifyInstance } from 'fastify';

/** Remembers every route's path pattern so an unmatched request can be told 404 from 405. */
export class RouteTable {
  readonly #routes: { pattern: RegExp; methods: Set<string> }[] = [];
  readonly #byUrl = new Map<string, { pattern: RegExp; methods: Set<string> }>();

  attach(app: FastifyInstance): void {
    app.addHook('onRoute', (route) => {
      let entry = this.#byUrl.get(route.url);
      if (!entry) {
        entry = { pattern: toPattern(route.url), methods: new Set() };
        this.#byUrl.set(route.url, entry);
        this.#routes.push(entry);
      }
      for (const m of [route.method].flat()) entry.methods.add(m.toUpperCase());
    });
  }

  /** Methods allowed on this concrete path, or null when no route has the path. */
  allowedMethods(path: string): string[] | null {
    const found = new Set<string>();
    for (const r of this.#routes) if (r.pattern.test(path)) for (const m of r.methods) found.add(m);
    return found.size > 0 ? [...found].sort() : null;
  }
}

function toPattern(url: string): RegExp {
  const parts = url.split('/').map((seg) =>
    seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
  );
  return new RegExp(`^${parts.join('/')}$`);
}
