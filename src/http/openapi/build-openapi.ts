import type { StrongboxConfig } from '../../config/config.ts';
import { ERRORS, type ErrorCode } from '../../errors/registry.ts';
import { recordSchema, inputSchema, type JsonSchema } from './field-schema.ts';
import { ROUTE_ERRORS, ROUTER_ERRORS } from './route-errors.ts';

type Operation = Record<string, unknown>;
const json = (schema: JsonSchema) => ({ 'application/json': { schema } });
const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

/** Responses for a route's error codes, one entry per status listing its codes. */
function errorResponses(routeKey: string): Record<string, unknown> {
  const codes = [...new Set([...(ROUTE_ERRORS[routeKey] ?? []), ...ROUTER_ERRORS])];
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = ERRORS[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: Record<string, unknown> = {};
  for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    out[String(status)] = {
      description: list.map((c) => `${c}: ${ERRORS[c].message}`).join('\n'),
      'x-error-codes': list,
      content: json(ref('Error')),
    };
  }
  return out;
}

function op(routeKey: string, summary: string, ok: Record<string, unknown>, extra: Operation = {}): Operation {
  return { summary, ...extra, responses: { ...ok, ...errorResponses(routeKey) } };
}

const query = (name: string, schema: JsonSchema, description: string) => ({ name, in: 'query', required: false, schema, description });
const FIELDS_PARAM = query('fields', { type: 'string' }, 'Comma-separated projection');
const listParams = (limits: StrongboxConfig['limits']) => [
  query('filter', { type: 'string', maxLength: 2000 }, 'Filter expression'),
  query('sort', { type: 'string' }, 'Sort terms, e.g. -created,title'),
  FIELDS_PARAM,
  query('page', { type: 'integer', minimum: 1 }, '1-based page'),
  query('perPage', { type: 'integer', minimum: 1, maximum: limits.perPageMax, default: limits.perPageDefault }, 'Items per page'),
  query('skipTotal', { type: 'string', enum: ['1', '0', 'true', 'false'] }, 'Skip counting totals'),
];
const ID_PARAM = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{20}$' } };
const CREDENTIALS: JsonSchema = {
  type: 'object',
  properties: { email: { type: 'string', format: 'email' }, password: { type: 'string', minLength: 8, maxLength: 1024 } },
  required: ['email', 'password'],
  additionalProperties: false,
};

/** OpenAPI 3.1 for the live collections. */
export function buildOpenApi(config: StrongboxConfig): Record<string, unknown> {
  const schemas: Record<string, JsonSchema> = {
    Error: {
      type: 'object',
      required: ['error'],
      properties: {
        error: {
          type: 'object',
          required: ['code', 'message'],
          properties: {
            code: { type: 'string', enum: Object.keys(ERRORS) },
            message: { type: 'string' },
            fields: { type: 'object', additionalProperties: { type: 'string' } },
            position: { type: 'integer', minimum: 0 },
          },
        },
      },
    },
    Account: {
      type: 'object',
      required: ['id', 'email', 'role'],
      properties: { id: { type: 'string' }, email: { type: 'string', format: 'email' }, role: { type: 'string' } },
    },
  };
  const account = json({ type: 'object', required: ['account'], properties: { account: ref('Account') } });
  const paths: Record<string, Record<string, Operation>> = {
    '/api/health': { get: op('GET /api/health', 'Health check', { 200: { description: 'OK', content: json({ type: 'object', properties: { status: { const: 'ok' } } }) } }) },
    '/api/openapi.json': { get: op('GET /api/openapi.json', 'This document', { 200: { description: 'OpenAPI 3.1' } }) },
    '/api/auth/register': { post: op('POST /api/auth/register', 'Create an account', { 201: { description: 'Created', content: account } }, { requestBody: { required: true, content: json(CREDENTIALS) } }) },
    '/api/auth/login': { post: op('POST /api/auth/login', 'Sign in; sets the session cookie', { 200: { description: 'Signed in', content: json({ type: 'object', required: ['token', 'account'], properties: { token: { type: 'string' }, account: ref('Account') } }) } }, { requestBody: { required: true, content: json(CREDENTIALS) }, security: [] }) },
    '/api/auth/logout': { post: op('POST /api/auth/logout', 'End the session', { 204: { description: 'Signed out' } }) },
    '/api/auth/me': { get: op('GET /api/auth/me', 'The signed-in account', { 200: { description: 'OK', content: account } }) },
  };
  for (const c of Object.values(config.collections)) {
    const rec = `Record_${c.name}`;
    schemas[rec] = recordSchema(c);
    schemas[`Create_${c.name}`] = inputSchema(c, 'create');
    schemas[`Update_${c.name}`] = inputSchema(c, 'update');
    const list = json({
      type: 'object',
      required: ['items', 'page', 'perPage'],
      properties: { items: { type: 'array', items: ref(rec) }, page: { type: 'integer' }, perPage: { type: 'integer' }, totalItems: { type: 'integer' }, totalPages: { type: 'integer' } },
    });
    const base = '/api/collections/{name}/records';
    paths[`/api/collections/${c.name}/records`] = {
      get: op(`GET ${base}`, `List ${c.name}`, { 200: { description: 'A page', content: list } }, { parameters: listParams(config.limits) }),
      post: op(`POST ${base}`, `Create a ${c.name} record`, { 201: { description: 'Created', content: json(ref(rec)) } }, { requestBody: { required: true, content: json(ref(`Create_${c.name}`)) } }),
    };
    paths[`/api/collections/${c.name}/records/{id}`] = {
      get: op(`GET ${base}/{id}`, `Get a ${c.name} record`, { 200: { description: 'OK', content: json(ref(rec)) } }, { parameters: [ID_PARAM, FIELDS_PARAM] }),
      patch: op(`PATCH ${base}/{id}`, `Update a ${c.name} record`, { 200: { description: 'OK', content: json(ref(rec)) } }, { parameters: [ID_PARAM], requestBody: { required: true, content: json(ref(`Update_${c.name}`)) } }),
      delete: op(`DELETE ${base}/{id}`, `Delete a ${c.name} record`, { 204: { description: 'Deleted' } }, { parameters: [ID_PARAM] }),
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Strongbox API', version: '0.1.0' },
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        cookie: { type: 'apiKey', in: 'cookie', name: '__Host-strongbox_session' },
      },
    },
    security: [{ bearer: [] }, { cookie: [] }, {}],
  };
}
