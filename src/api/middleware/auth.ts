/** API-key authentication: `Authorization: Bearer <key>` (or `X-API-Key`) resolves to a principal. */
import type { RequestHandler } from 'express';
import { UnauthorizedError } from '../../domain/errors';
import type { Store } from '../../store/store';

/** Rejects requests without a valid key; attaches `req.principal` otherwise. */
export function authenticate(store: Store): RequestHandler {
  return async (req, res, next) => {
    const header = req.header('authorization');
    const key = header?.startsWith('Bearer ') ? header.slice(7).trim() : req.header('x-api-key');
    if (!key) throw new UnauthorizedError('missing API key: send Authorization: Bearer <key>');
    const principal = await store.authenticate(key);
    if (!principal) throw new UnauthorizedError('unknown API key');
    Object.assign(req, { principal });
    res.locals.accountId = principal.accountId;
    next();
  };
}
