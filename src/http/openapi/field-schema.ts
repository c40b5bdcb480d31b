import type { CollectionDef, FieldDef } from '../../config/schema.ts';

export type JsonSchema = Record<string, unknown>;

const ID_SCHEMA: JsonSchema = { type: 'string', pattern: '^[A-Za-z0-9_-]{20}$' };

/** JSON Schema (OpenAPI 3.1 dialect) for one field's value. */
export function fieldSchema(f: FieldDef): JsonSchema {
  switch (f.type) {
    case 'text': {
      const s: JsonSchema = { type: 'string' };
      if (f.min !== null) s.minLength = f.min;
      if (f.max !== null) s.maxLength = f.max;
      if (f.pattern !== null && !f.sensitive) s.pattern = f.pattern;
      return s;
    }
    case 'number': {
      const s: JsonSchema = { type: f.integer ? 'integer' : 'number' };
      if (f.min !== null) s.minimum = f.min;
      if (f.max !== null) s.maximum = f.max;
      return s;
    }
    case 'boolean': return { type: 'boolean' };
    case 'email': return { type: 'string', format: 'email' };
    case 'url': return { type: 'string', format: 'uri' };
    case 'date': return { type: 'string', format: 'date' };
    case 'datetime': return { type: 'string', format: 'date-time' };
    case 'select':
      return f.multiple
        ? { type: 'array', items: { type: 'string', enum: [...f.values] }, uniqueItems: true }
        : { type: 'string', enum: [...f.values] };
    case 'json': return {};
    case 'relation': return { ...ID_SCHEMA, description: `id of a record in "${f.collection}"` };
  }
}

function nullable(s: JsonSchema): JsonSchema {
  if (typeof s.type === 'string') return { ...s, type: [s.type, 'null'] };
  return s;
}

/** Schema of a record as the API returns it (masked sensitive fields are strings). */
export function recordSchema(c: CollectionDef): JsonSchema {
  const properties: Record<string, JsonSchema> = {
    id: ID_SCHEMA,
    created: { type: 'string', format: 'date-time' },
    updated: { type: 'string', format: 'date-time' },
    owner: { type: ['string', 'null'] },
  };
  for (const f of c.fields) {
    const s = f.mask !== null ? { type: 'string', description: `may be masked (${f.mask})` } : fieldSchema(f);
    properties[f.name] = f.required ? s : nullable(s);
  }
  return { type: 'object', properties, required: ['id', 'created', 'updated', 'owner'] };
}

/** Schema of a create (all required fields) or update (partial) body; system fields are refused. */
export function inputSchema(c: CollectionDef, mode: 'create' | 'update'): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const f of c.fields) properties[f.name] = f.required ? fieldSchema(f) : nullable(fieldSchema(f));
  const required = mode === 'create' ? c.fields.filter((f) => f.required && f.default === undefined).map((f) => f.name) : [];
  const s: JsonSchema = { type: 'object', properties, additionalProperties: false };
  if (required.length > 0) s.required = required;
  return s;
}
