/** Security middleware: request ids, security headers, and the per-account rate limit. */
import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import helmet from 'helmet';
import { RateLimitedError } from '../../domain/errors';
import type { Principal, Store } from '../../store/store';

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

/** The start of the current one-minute window, and the seconds until the next one. */
export function minuteWindow(now = Date.now()): { start: Date; retryAfterSeconds: number } {
  const start = Math.floor(now / 60_000) * 60_000;
  return { start: new Date(start), retryAfterSeconds: Math.max(1, Math.ceil((start + 60_000 - now) / 1000)) };
}

/**
 * At most `perMinute` requests per account per minute, whatever key and whatever API process they come through:
 * counted in the store (fixed one-minute windows); beyond it 429 with Retry-After. Runs after authentication.
 */
export function rateLimitPerAccount(store: Store, perMinute: number): RequestHandler {
  return async (req, res, next) => {
    const principal = (req as Request & { principal?: Principal }).principal;
    if (!principal) return next();
    const window = minuteWindow();
    const hits = await store.countHit(`account:${principal.accountId}`, window.start);
    res.set('RateLimit-Limit', String(perMinute));
    res.set('RateLimit-Remaining', String(Math.max(0, perMinute - hits)));
    if (hits > perMinute) {
      throw new RateLimitedError(`rate limit of ${perMinute} requests per minute for this account reached: retry in ${window.retryAfterSeconds} s`, window.retryAfterSeconds);
    }
    next();
  };
}
