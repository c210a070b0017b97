/** The one error middleware: typed errors become their HTTP status with a JSON body; anything else is a 500. */
import type { ErrorRequestHandler } from 'express';
import { HeraldError, InvalidInputError } from '../../domain/errors';

/** Maps errors to responses `{ error: { code, message, issues? } }`. */
export function errorHandler(log: (err: unknown) => void = console.error): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    if (err instanceof HeraldError) {
      const issues = err instanceof InvalidInputError && err.issues.length > 0 ? { issues: err.issues } : {};
      res.status(err.status).json({ error: { code: err.code, message: err.message, ...issues } });
      return;
    }
    // express.json() reports unparseable bodies and oversized payloads with a status.
    const status = (err as { status?: number }).status;
    if (status && status >= 400 && status < 500) {
      res.status(status).json({ error: { code: 'invalid_request', message: `body: ${(err as Error).message}` } });
      return;
    }
    log(err);
    res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
  };
}
