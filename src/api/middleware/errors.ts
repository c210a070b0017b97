/** The one error middleware: typed errors become their HTTP status with a JSON body; anything else is a 500. */
import type { ErrorRequestHandler } from 'express';
import { HeraldError, InvalidInputError, RateLimitedError } from '../../domain/errors';
import { requestIdOf } from './security';

/**
 * Maps errors to responses `{ error: { code, message, issues? } }`. A 500 says only "internal error" and the
 * request id (`log` gets the error with the same id): never a stack trace, SQL or a secret.
 */
export function errorHandler(log: (err: unknown, context: { requestId: string }) => void): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    if (err instanceof HeraldError) {
      const issues = err instanceof InvalidInputError && err.issues.length > 0 ? { issues: err.issues } : {};
      if (err instanceof RateLimitedError) res.set('Retry-After', String(err.retryAfterSeconds));
      res.status(err.status).json({ error: { code: err.code, message: err.message, ...issues } });
      return;
    }
    // A path whose percent-escapes do not decode (the router's decodeURIComponent threw).
    if (err instanceof URIError) {
      res.status(400).json({ error: { code: 'invalid_request', message: 'path: malformed percent-escape' } });
      return;
    }
    // express.json() reports unparseable bodies (400) and unsupported encodings (415) with a status and a safe message.
    const status = (err as { status?: number }).status;
    const exposed = (err as { expose?: boolean }).expose === true;
    if (status && status >= 400 && status < 500 && exposed) {
      res.status(status).json({ error: { code: 'invalid_request', message: `body: ${(err as Error).message}` } });
      return;
    }
    const requestId = requestIdOf(req);
    log(err, { requestId });
    res.status(500).json({ error: { code: 'internal', message: `internal error (request id ${requestId})`, requestId } });
  };
}
