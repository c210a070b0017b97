/** Declares API routes once: Express wiring, zod validation and the OpenAPI document all come from the same spec. */
import express, { type Request, type RequestHandler, type Router } from 'express';
import { z } from 'zod';
import { ForbiddenError, InvalidInputError, PayloadTooLargeError, UnauthorizedError } from '../domain/errors';
import { scopeAllows, type Scope } from '../domain/vocabulary';
import type { Principal } from '../store/store';

/** The largest JSON body a route accepts unless it says otherwise. */
export const DEFAULT_BODY_LIMIT_BYTES = 256 * 1024;

/** The error body every failure has. */
export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
      requestId: z.string().optional(),
    }),
  })
  .meta({
    id: 'Error',
    example: { error: { code: 'invalid_request', message: 'channels.0.subject: required for email', issues: [{ path: 'channels.0.subject', message: 'required for email' }] } },
  });

/** Error statuses every /v1 route may answer, with what they mean. */
const ERROR_RESPONSES: Record<string, string> = {
  '400': 'Invalid input: the message names the field and the reason',
  '401': 'Missing, unknown or revoked API key',
  '403': "The API key's scope does not allow this route: the message names the scope needed",
  '404': 'Unknown id, or an id of another account',
  '409': 'Not allowed in the current status (or the account holds its most API keys)',
  '413': 'Request body larger than the route accepts: the message names the limit',
  '415': 'Request body is not JSON',
  '422': 'Confirmation does not match',
  '429': "Rate limit of the account, or of the client address's failed authentications, reached: retry after the Retry-After header (seconds)",
};

/** The name of each error status's shared response in the document. */
const ERROR_NAMES: Record<string, string> = {
  '400': 'BadRequest',
  '401': 'Unauthorized',
  '403': 'Forbidden',
  '404': 'NotFound',
  '409': 'Conflict',
  '413': 'PayloadTooLarge',
  '415': 'UnsupportedMediaType',
  '422': 'ConfirmationMismatch',
  '429': 'RateLimited',
};

const errorName = (status: string): string => ERROR_NAMES[status] ?? `Error${status}`;

/** The error responses every /v1 operation refers to, once each. */
function errorResponses(): Record<string, unknown> {
  const error = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
  return {
    ...Object.fromEntries(
      Object.entries(ERROR_RESPONSES).map(([status, description]) => [
        errorName(status),
        {
          description,
          content: error,
          ...(status === '429' ? { headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait' } } } : {}),
        },
      ]),
    ),
    InternalError: { description: 'Internal error: the body carries only a request id to quote (never details)', content: error },
  };
}

/** A route: its method and path, what it accepts, and what it does with the parsed input. */
export interface RouteSpec<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express path, e.g. `/v1/campaigns/:id`. */
  path: string;
  /** A readable, unique name for generated clients (`listCampaigns`, `pauseCampaign`). */
  operationId: string;
  summary: string;
  tag: string;
  body?: B;
  query?: Q;
  params?: P;
  /** HTTP status on success (200 unless said). */
  status?: number;
  /** The scope the API key needs: `read` for GET routes and `control` for the others unless said. */
  scope?: Scope;
  /** The largest JSON body accepted, in bytes (DEFAULT_BODY_LIMIT_BYTES unless said). */
  bodyLimitBytes?: number;
  /** What a success answers, for the OpenAPI document (described as any JSON when absent). */
  response?: z.ZodType;
  handler: (input: { body: z.infer<B>; query: z.infer<Q>; params: z.infer<P>; principal: Principal }) => Promise<unknown>;
}

/** A route of any input types. */
export type AnyRoute = RouteSpec<z.ZodType, z.ZodType, z.ZodType>;

/** Collects routes, mounts them on a router, and describes them as OpenAPI. */
export class RouteTable {
  private readonly routes: AnyRoute[] = [];

  /** Adds a route. */
  add<B extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodUndefined, P extends z.ZodType = z.ZodUndefined>(
    spec: RouteSpec<B, Q, P>,
  ): void {
    this.routes.push(spec as unknown as AnyRoute);
  }

  /** The routes added so far (read-only): tests enumerate them. */
  list(): readonly Readonly<AnyRoute>[] {
    return this.routes;
  }

  /**
   * Mounts every route on `router` (which authenticates first): scope check, then the body parsed within the
   * route's size limit, then validation. A known path asked with another method gets 405 with `Allow`.
   */
  mount(router: Router, opts: { checkResponses?: boolean } = {}): void {
    for (const route of this.routes) {
      const needs = scopeOf(route);
      const limit = route.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
      const allowed: RequestHandler = (req, _res, next) => {
        const principal = (req as Request & { principal?: Principal }).principal;
        if (!principal) throw new UnauthorizedError('missing API key');
        if (!scopeAllows(principal.scope, needs)) {
          throw new ForbiddenError(`${route.method.toUpperCase()} ${route.path} needs an API key with scope ${needs}; this key has scope ${principal.scope}`);
        }
        next();
      };
      const json = express.json({ limit });
      const body: RequestHandler = (req, res, next) => {
        json(req, res, (err?: unknown) => {
          if ((err as { type?: string } | undefined)?.type === 'entity.too.large') {
            next(new PayloadTooLargeError(`body: larger than this route's limit of ${formatBytes(limit)}`));
          } else next(err);
        });
      };
      const handler: RequestHandler = async (req, res) => {
        const principal = (req as Request & { principal: Principal }).principal;
        const input = {
          body: parse(route.body, req.body, 'body'),
          query: parse(route.query, req.query, 'query'),
          params: parse(route.params, req.params, 'params'),
          principal,
        };
        const result = await route.handler(input);
        if (opts.checkResponses && route.response) checkResponse(route, result);
        res.status(route.status ?? 200).json(result);
      };
      router[route.method](route.path, allowed, body, handler);
    }
    const methods = new Map<string, string[]>();
    for (const r of this.routes) methods.set(r.path, [...(methods.get(r.path) ?? []), r.method.toUpperCase()]);
    for (const [path, list] of methods) {
      router.all(path, (req, res) => {
        res.set('Allow', list.join(', '));
        res.status(405).json({ error: { code: 'method_not_allowed', message: `${req.method} is not allowed on ${path}: use ${list.join(', ')}` } });
      });
    }
  }

  /**
   * The OpenAPI 3.1 document for every route: an operationId per route, and every schema named with
   * `.meta({ id })` as a component (`#/components/schemas/<id>`) that the operations refer to.
   */
  openapi(info: { title: string; version: string; description?: string }): Record<string, unknown> {
    const components = new Components();
    const paths: Record<string, Record<string, unknown>> = {};
    for (const r of this.routes) {
      const path = r.path.replace(/:(\w+)/g, '{$1}');
      const parameters = [
        ...objectParams(r.params, 'path'),
        ...objectParams(r.query, 'query'),
      ];
      (paths[path] ??= {})[r.method] = {
        operationId: r.operationId,
        summary: r.summary,
        tags: [r.tag],
        security: [{ apiKey: [] }],
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: components.schema(r.body, 'input') } } } } : {}),
        description: `Needs an API key with scope ${scopeOf(r)}.`,
        responses: {
          [String(r.status ?? 200)]: {
            description: 'OK',
            content: { 'application/json': { schema: r.response ? components.schema(r.response, 'output') : {} } },
          },
          ...Object.fromEntries(Object.keys(ERROR_RESPONSES).map((status) => [status, { $ref: `#/components/responses/${errorName(status)}` }])),
          '500': { $ref: '#/components/responses/InternalError' },
        },
      };
    }
    components.schema(ErrorBody, 'output');
    return {
      openapi: '3.1.0',
      info,
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
        schemas: components.named,
        responses: errorResponses(),
      },
      paths,
    };
  }
}

/**
 * The document's named schemas. zod writes a schema with `.meta({ id })` as `$defs/<id>`; here every `$defs` entry
 * moves to `components.schemas` and each reference follows it. The same id read as input (bodies) and as output
 * (answers) may differ (defaults, transforms): the input one is then named `<id>Input`.
 */
class Components {
  /** Every named schema, by name. */
  readonly named: Record<string, unknown> = {};
  private readonly seen = new Map<string, string>();

  /** The JSON schema of `schema` for this document: named parts as $refs to components. */
  schema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
    const { $schema: _drop, $defs, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown> & {
      $defs?: Record<string, unknown>;
    };
    const names = new Map<string, string>();
    for (const [id, def] of Object.entries($defs ?? {})) {
      const text = JSON.stringify(def);
      const existing = this.seen.get(id);
      names.set(id, existing === undefined || existing === text ? id : `${id}Input`);
    }
    const rename = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(rename);
      if (value && typeof value === 'object') {
        return Object.fromEntries(
          Object.entries(value).map(([k, v]) => {
            if (k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) {
              const id = v.slice('#/$defs/'.length);
              return [k, `#/components/schemas/${names.get(id) ?? id}`];
            }
            return [k, rename(v)];
          }),
        );
      }
      return value;
    };
    for (const [id, def] of Object.entries($defs ?? {})) {
      const name = names.get(id)!;
      if (name === id) this.seen.set(id, JSON.stringify(def));
      this.named[name] = rename(def);
    }
    return rename(rest) as Record<string, unknown>;
  }
}

/** NUL, or half of a UTF-16 surrogate pair: text PostgreSQL cannot store (text columns and jsonb). */
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** How deep any request's JSON may nest (the deepest valid body, a contact's attributes, is far less). */
export const MAX_INPUT_DEPTH = 32;

/** A container met while walking input: its parent and key, so a path is built only on a hit. */
interface Visit {
  value: unknown;
  depth: number;
  parent: Visit | undefined;
  key: string | number | undefined;
}

function pathOf(visit: Visit | undefined, last?: string | number): (string | number)[] {
  const path: (string | number)[] = last === undefined ? [] : [last];
  for (let v = visit; v && v.key !== undefined; v = v.parent) path.unshift(v.key);
  return path;
}

/**
 * Refuses, naming the field, input PostgreSQL or the application cannot take: text with NUL or lone surrogates,
 * a `__proto__` key, nesting deeper than MAX_INPUT_DEPTH. Iterative (an explicit stack), so no depth of input
 * can overflow the call stack.
 */
function checkInput(value: unknown, where: string): void {
  const refuse = (path: (string | number)[], message: string): never => {
    throw InvalidInputError.field(path.length > 0 ? path.join('.') : where, message);
  };
  const nul = 'must be valid Unicode text without NUL (\\u0000) or lone surrogates';
  if (typeof value === 'string') {
    if (UNSTORABLE.test(value)) refuse([], nul);
    return;
  }
  const stack: Visit[] = [{ value, depth: 0, parent: undefined, key: undefined }];
  for (let visit = stack.pop(); visit; visit = stack.pop()) {
    const v = visit.value;
    if (!v || typeof v !== 'object') continue;
    if (visit.depth >= MAX_INPUT_DEPTH) refuse([], `nested deeper than ${MAX_INPUT_DEPTH} levels`);
    const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((item, i) => [i, item]) : Object.entries(v);
    for (const [k, child] of entries) {
      if (typeof k === 'string') {
        if (UNSTORABLE.test(k)) refuse(pathOf(visit, k), nul);
        if (k === '__proto__') refuse(pathOf(visit, k), 'is not allowed as a key');
      }
      if (typeof child === 'string') {
        if (UNSTORABLE.test(child)) refuse(pathOf(visit, k), nul);
      } else if (child && typeof child === 'object') {
        stack.push({ value: child, depth: visit.depth + 1, parent: visit, key: k });
      }
    }
  }
}

/** Throws (a 500) when a route answers something its documented response schema does not describe. */
function checkResponse(route: AnyRoute, result: unknown): void {
  const checked = route.response!.safeParse(JSON.parse(JSON.stringify(result)));
  if (!checked.success) {
    throw new Error(`${route.method.toUpperCase()} ${route.path} answered outside its response schema: ${z.prettifyError(checked.error)}`);
  }
}

function parse(schema: z.ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return undefined;
  // Refused here, naming the field, for every route at once: PostgreSQL would fail on it (a 500).
  checkInput(value, where);
  const result = schema.safeParse(where === 'body' && value === undefined ? {} : value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({
    path: i.path.length > 0 ? i.path.join('.') : where,
    message: i.message,
  }));
  throw new InvalidInputError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

/** The scope a route needs: said by the route, else read for GET and control for everything else. */
export function scopeOf(route: { method: string; scope?: Scope }): Scope {
  return route.scope ?? (route.method === 'get' ? 'read' : 'control');
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${n / (1024 * 1024)} MB` : `${n / 1024} KB`;
}

function objectParams(schema: z.ZodType | undefined, location: 'path' | 'query'): Record<string, unknown>[] {
  if (!schema) return [];
  const json = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: location,
    required: location === 'path' || (json.required ?? []).includes(name),
    schema: s,
  }));
}
