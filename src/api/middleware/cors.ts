/**
 * CORS for browser frontends on other origins, by configuration (CORS_ORIGINS). Without origins configured it adds
 * nothing: only same-origin pages (the console) call the API. Preflights are answered here, before authentication
 * (browsers send them without the key).
 */
import type { RequestHandler } from 'express';

/** Request headers a frontend may send. */
const ALLOW_HEADERS = 'Authorization, Content-Type, X-Request-Id';
/** Response headers a frontend may read. */
const EXPOSE_HEADERS = 'X-Request-Id, Retry-After, RateLimit, RateLimit-Policy';
/** How long a browser may keep a preflight's answer (seconds). */
const MAX_AGE_SECONDS = 600;

/** The CORS middleware for `origins` (exact origins like `https://app.example.com`, or `*`). */
export function cors(origins: readonly string[]): RequestHandler {
  const any = origins.includes('*');
  const allowed = new Set(origins.map((o) => o.replace(/\/$/, '')));
  return (req, res, next) => {
    const origin = req.header('origin');
    if (origins.length === 0 || !origin) return next();
    res.vary('Origin');
    if (!any && !allowed.has(origin)) return next();
    // The key travels in Authorization, never in cookies: no credentials mode, so `*` is safe to echo as the origin.
    res.set('Access-Control-Allow-Origin', any ? '*' : origin);
    res.set('Access-Control-Expose-Headers', EXPOSE_HEADERS);
    if (req.method === 'OPTIONS' && req.header('access-control-request-method')) {
      res.set('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE');
      res.set('Access-Control-Allow-Headers', ALLOW_HEADERS);
      res.set('Access-Control-Max-Age', String(MAX_AGE_SECONDS));
      res.status(204).end();
      return;
    }
    next();
  };
}
