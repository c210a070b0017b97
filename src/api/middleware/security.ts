/** Security middleware: request ids, security headers, and the per-API-key rate limit. */
import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { RateLimitedError } from '../../domain/errors';
import type { Principal } from '../../store/store';

const REQUEST_ID = /^[\w.-]{1,100}$/;

/** Gives each request an id (a caller's well-formed `X-Request-Id`, else a new UUID), echoed in the response. */
export function requestId(): RequestHandler {
  return (req, res, next) => {
    const given = req.header('x-request-id');
    const id = given && REQUEST_ID.test(given) ? given : randomUUID();
    Object.assign(req, { requestId: id });
    res.set('X-Request-Id', id);
    next();
  };
}

/** The id `requestId()` gave this request (a new one if it did not run). */
export function requestIdOf(req: Request): string {
  return (req as Request & { requestId?: string }).requestId ?? randomUUID();
}

/**
 * Security headers (helmet). The CSP allows scripts, styles, images and requests from the same origin only
 * (a static console served from this origin works; inline scripts and styles do not), and no framing.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    // Pages of other origins call the API only through CORS (CORS_ORIGINS, see middleware/cors), which CORP does not block.
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
}

/**
 * At most `perMinute` requests per API key per minute (in this process); beyond it 429 with Retry-After.
 * Runs after authentication: it counts by the key's id, never by the key.
 */
export function rateLimitPerKey(perMinute: number): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => (req as Request & { principal?: Principal }).principal?.keyId ?? 'anonymous',
    handler: (req, _res, next) => {
      const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = Math.max(1, Math.ceil(((reset?.getTime() ?? Date.now() + 60_000) - Date.now()) / 1000));
      next(new RateLimitedError(`rate limit of ${perMinute} requests per minute for this API key reached: retry in ${seconds} s`, seconds));
    },
  });
}
