/** Typed errors the core raises; the API's error middleware maps each to one HTTP status. */

/** Base class: a message meant for the caller, safe to show. */
export abstract class HeraldError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
}

/** A request field is wrong (HTTP 400). */
export class InvalidInputError extends HeraldError {
  readonly status = 400;
  readonly code = 'invalid_request';
  constructor(
    message: string,
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message);
  }

  /** One field is wrong: the message reads `path: reason`. */
  static field(path: string, reason: string): InvalidInputError {
    return new InvalidInputError(`${path}: ${reason}`, [{ path, message: reason }]);
  }
}

/** Unknown id, or an id of another account (HTTP 404, never 403). */
export class NotFoundError extends HeraldError {
  readonly status = 404;
  readonly code = 'not_found';
  constructor(what: string, id: string) {
    super(`${what} ${id} not found`);
  }
}

/** The action is not allowed in the current status (HTTP 409). */
export class InvalidTransitionError extends HeraldError {
  readonly status = 409;
  readonly code = 'invalid_transition';
  constructor(
    action: string,
    readonly currentStatus: string,
    message = `cannot ${action} a campaign that is ${currentStatus}`,
  ) {
    super(message);
  }
}

/** A confirmation did not match (HTTP 422). */
export class ConfirmationError extends HeraldError {
  readonly status = 422;
  readonly code = 'confirmation_mismatch';
}

/** Missing or unknown API key (HTTP 401). */
export class UnauthorizedError extends HeraldError {
  readonly status = 401;
  readonly code = 'unauthorized';
}

/** The account's emergency brake is on: nothing may start sending until it is released (HTTP 409). */
export class BrakeOnError extends HeraldError {
  readonly status = 409;
  readonly code = 'brake_on';
  constructor(action: string, since: Date | null, by: string | null) {
    super(
      `cannot ${action}: the account's emergency brake is on` +
        `${since ? ` since ${since.toISOString()}` : ''}${by ? ` (set by ${by})` : ''}; release it with POST /v1/account/brake {"on": false}`,
    );
  }
}

/** The API key is valid but its scope is too weak for the route (HTTP 403); the message names the scope needed. */
export class ForbiddenError extends HeraldError {
  readonly status = 403;
  readonly code = 'forbidden';
}

/** The request body is larger than the route accepts (HTTP 413); the message names the limit. */
export class PayloadTooLargeError extends HeraldError {
  readonly status = 413;
  readonly code = 'payload_too_large';
}

/** The API key sent more requests than its rate limit allows (HTTP 429, with Retry-After). */
export class RateLimitedError extends HeraldError {
  readonly status = 429;
  readonly code = 'rate_limited';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
