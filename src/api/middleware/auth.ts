/**
 * API-key authentication: `Authorization: Bearer <key>` (or `X-API-Key`) resolves to a principal. Failed
 * authentications are counted per client address in the store (shared by every API process): past the limit,
 * the address gets 429 for the rest of the minute, a good key included, so keys cannot be guessed by volume.
 */
import type { Request, RequestHandler } from 'express';
import { RateLimitedError, UnauthorizedError } from '../../domain/errors';
import type { Store } from '../../store/store';
import { minuteWindow } from './security';

/** Failed authentications a client address may make per minute unless configured. */
export const DEFAULT_AUTH_FAILURES_PER_MINUTE = 30;

/** Rejects requests without a valid key; attaches `req.principal` otherwise. */
export function authenticate(store: Store, failuresPerMinute = DEFAULT_AUTH_FAILURES_PER_MINUTE): RequestHandler {
  // Addresses this process saw go over the limit, until their window ends: refused without asking the store.
  const blocked = new Map<string, number>();
  const refuse = (retryAfterSeconds: number) =>
    new RateLimitedError(`too many failed authentications from this address: retry in ${retryAfterSeconds} s`, retryAfterSeconds);
  return async (req, res, next) => {
    const address = clientAddress(req);
    const until = blocked.get(address);
    if (until !== undefined) {
      if (until > Date.now()) throw refuse(Math.max(1, Math.ceil((until - Date.now()) / 1000)));
      blocked.delete(address);
    }
    const header = req.header('authorization');
    const key = header?.startsWith('Bearer ') ? header.slice(7).trim() : req.header('x-api-key');
    const principal = key ? await store.authenticate(key) : null;
    if (!principal) {
      const window = minuteWindow();
      const failures = await store.countHit(`auth-failures:${address}`, window.start);
      if (failures > failuresPerMinute) {
        blocked.set(address, window.start.getTime() + 60_000);
        throw refuse(window.retryAfterSeconds);
      }
      throw new UnauthorizedError(key ? 'unknown API key' : 'missing API key: send Authorization: Bearer <key>');
    }
    Object.assign(req, { principal });
    res.locals.accountId = principal.accountId;
    next();
  };
}

/** The client's address as the socket sees it (behind a proxy, the proxy's unless Express trusts it). */
function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}
