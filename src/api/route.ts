/** Declares API routes once: Express wiring, zod validation and the OpenAPI document all come from the same spec. */
import type { Request, RequestHandler, Router } from 'express';
import { z } from 'zod';
import { InvalidInputError, UnauthorizedError } from '../domain/errors';
import type { Principal } from '../store/store';

/** A route: its method and path, what it accepts, and what it does with the parsed input. */
export interface RouteSpec<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express path, e.g. `/v1/campaigns/:id`. */
  path: string;
  summary: string;
  tag: string;
  body?: B;
  query?: Q;
  params?: P;
  /** HTTP status on success (200 unless said). */
  status?: number;
  handler: (input: { body: z.infer<B>; query: z.infer<Q>; params: z.infer<P>; principal: Principal }) => Promise<unknown>;
}

type AnyRoute = RouteSpec<z.ZodType, z.ZodType, z.ZodType>;

/** Collects routes, mounts them on a router, and describes them as OpenAPI. */
export class RouteTable {
  private readonly routes: AnyRoute[] = [];

  /** Adds a route. */
  add<B extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodUndefined, P extends z.ZodType = z.ZodUndefined>(
    spec: RouteSpec<B, Q, P>,
  ): void {
    this.routes.push(spec as unknown as AnyRoute);
  }

  /** Mounts every route on `router`, each behind validation. */
  mount(router: Router): void {
    for (const route of this.routes) {
      const handler: RequestHandler = async (req, res) => {
        const principal = (req as Request & { principal?: Principal }).principal;
        if (!principal) throw new UnauthorizedError('missing API key');
        const input = {
          body: parse(route.body, req.body, 'body'),
          query: parse(route.query, req.query, 'query'),
          params: parse(route.params, req.params, 'params'),
          principal,
        };
        const result = await route.handler(input);
        res.status(route.status ?? 200).json(result);
      };
      router[route.method](route.path, handler);
    }
  }

  /** The OpenAPI 3.1 document for every route. */
  openapi(info: { title: string; version: string }): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const r of this.routes) {
      const path = r.path.replace(/:(\w+)/g, '{$1}');
      const parameters = [
        ...objectParams(r.params, 'path'),
        ...objectParams(r.query, 'query'),
      ];
      (paths[path] ??= {})[r.method] = {
        summary: r.summary,
        tags: [r.tag],
        security: [{ apiKey: [] }],
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body) } } } } : {}),
        responses: {
          [String(r.status ?? 200)]: { description: 'OK' },
          '400': { description: 'Invalid input: the message names the field and the reason' },
          '401': { description: 'Missing or unknown API key' },
          '404': { description: 'Unknown id, or an id of another account' },
          '409': { description: 'Not allowed in the current status' },
          '422': { description: 'Confirmation does not match' },
        },
      };
    }
    return {
      openapi: '3.1.0',
      info,
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      paths,
    };
  }
}

function parse(schema: z.ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(where === 'body' && value === undefined ? {} : value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({
    path: i.path.length > 0 ? i.path.join('.') : where,
    message: i.message,
  }));
  throw new InvalidInputError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
}

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
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
