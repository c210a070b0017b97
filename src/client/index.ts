/**
 * Herald's typed API client: openapi-fetch over the types generated from the OpenAPI document (./schema.ts), so
 * every path, parameter, body and answer is checked by the compiler. The console uses it; so can any frontend or
 * backend service (`heraldClient({ baseUrl, apiKey })`).
 */
import createClient, { type Client } from 'openapi-fetch';
import type { components, operations, paths } from './schema';

/** The API's named schemas (`Schemas['Campaign']`, `Schemas['ControlReport']`, ...). */
export type Schemas = components['schemas'];

/** The API's operations by operationId. */
export type Operations = operations;

/** The generated paths, for callers that build their own openapi-fetch client. */
export type Paths = paths;

/** A typed client of the Herald API. */
export type HeraldClient = Client<paths>;

/** How to reach Herald: its base URL (the page's origin when absent), the API key (or how to read it) and fetch. */
export interface HeraldClientOptions {
  baseUrl?: string;
  /** The API key sent as a Bearer token; a function is called on every request (a key that can change). */
  apiKey: string | (() => string | null | undefined);
  fetch?: typeof globalThis.fetch;
}

/** A typed client that sends the API key with every request. */
export function heraldClient(options: HeraldClientOptions): HeraldClient {
  const client = createClient<paths>({ baseUrl: options.baseUrl ?? '', ...(options.fetch ? { fetch: options.fetch } : {}) });
  client.use({
    onRequest({ request }) {
      const key = typeof options.apiKey === 'function' ? options.apiKey() : options.apiKey;
      // A call may carry its own key (e.g. a sign-in form checking one before keeping it).
      if (!request.headers.has('Authorization')) request.headers.set('Authorization', `Bearer ${key ?? ''}`);
      return request;
    },
  });
  return client;
}
