/**
 * What providers say, made safe to store and show: text from a provider's answer is cleaned (no NUL, no control
 * characters, well-formed, bounded) and errors are classified (provider, HTTP status, a known code, a fixed
 * phrase) so they carry neither the provider's body nor recipient data into the store, the API or workflow
 * history. Details go to the log, redacted.
 */
import { log } from '../observability/log';
import type { CancelOutcome, SendOutcome } from './provider';

/** The longest provider-derived text Herald stores (message ids, errors). */
export const MAX_PROVIDER_TEXT = 300;

/** `text` without NUL or other control characters (tabs and newlines become spaces), well-formed and bounded. */
export function cleanText(text: string, max = MAX_PROVIDER_TEXT): string {
  const cleaned = text
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return cleaned.length > max ? cleaned.slice(0, max) : cleaned;
}

/** An outcome whose texts are safe to store; an accepted message whose id cleans to nothing gets `fallbackId`. */
export function cleanOutcome(outcome: SendOutcome, fallbackId: string): SendOutcome {
  if (outcome.status === 'accepted') {
    const providerStatus = outcome.providerStatus ? cleanText(outcome.providerStatus).slice(0, 32) : undefined;
    return { ...outcome, providerMessageId: cleanText(outcome.providerMessageId) || fallbackId, ...(providerStatus ? { providerStatus } : {}) };
  }
  return { ...outcome, error: cleanText(outcome.error) };
}

/** A cancel outcome whose error is safe to store. */
export function cleanCancelOutcome(outcome: CancelOutcome): CancelOutcome {
  return outcome.status === 'error' ? { ...outcome, error: cleanText(outcome.error) } : outcome;
}

const NETWORK: Record<string, string> = {
  EGRESS_REFUSED: 'refused',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  ETIMEDOUT: 'timed out',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found (temporary)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_HEADERS_TIMEOUT: 'timed out waiting for an answer',
  UND_ERR_BODY_TIMEOUT: 'timed out reading the answer',
  UND_ERR_SOCKET: 'connection lost',
  UND_ERR_CLOSED: 'connection closed',
  UND_ERR_ABORTED: 'aborted',
  UND_ERR_RES_EXCEEDED_MAX_SIZE: 'answer too large',
  ECONNECTION: 'connection failed',
  ESOCKET: 'connection lost',
  EDNS: 'host not found',
  ETLS: 'TLS failed',
  EAUTH: 'authentication failed',
  EENVELOPE: 'recipient refused',
  EMESSAGE: 'message refused',
  EPROTOCOL: 'protocol error',
};

const TLS: [RegExp, string][] = [
  [/self[- ]signed certificate/i, 'TLS: self-signed certificate not trusted'],
  [/certificate has expired/i, 'TLS: certificate expired'],
  [/unable to verify|unable to get local issuer/i, 'TLS: certificate not trusted'],
  [/altnames|hostname\/ip does not match/i, 'TLS: certificate does not match the host'],
  [/wrong version number|ssl routines|tls/i, 'TLS failed'],
];

/** A classified reason for an error thrown while calling a provider: never its raw message. */
export function networkReason(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; name?: unknown };
  const message = typeof e?.message === 'string' ? e.message : '';
  for (const [pattern, reason] of TLS) if (pattern.test(message)) return reason;
  if (e?.code === 'EGRESS_REFUSED') return cleanText(message);
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (code && NETWORK[code]) return NETWORK[code];
  // Herald's own classified messages (e.g. "token endpoint answered HTTP 400 invalid_grant").
  if (/^[\w ]{1,60}HTTP \d{3}( [a-z_]{1,40})?$/.test(message)) return message;
  if (e?.cause) return networkReason(e.cause);
  return code && /^[A-Z_]{2,40}$/.test(code) ? `request failed (${code})` : 'request failed';
}

/**
 * A classified error for a provider's non-2xx answer: `<provider>: HTTP <status>` and, from `detail`, a numeric
 * error code (Twilio-style) or an UPPER_CASE code (FCM-style) when there is one; nothing else of the answer.
 */
export function httpError(detail: string, status: number): string {
  const name = /^([a-z][a-z0-9-]{0,30}):/.exec(detail)?.[1] ?? 'provider';
  const code = /\bHTTP \d{3} (\d{3,6}|[A-Z][A-Z_]{2,39})\b/.exec(detail)?.[1];
  return `${name}: HTTP ${status}${code ? ` ${code}` : ''}`;
}

/** `text` with email addresses, phone-like numbers and long tokens masked, for the log. */
export function redact(text: string): string {
  return cleanText(text, 500)
    .replace(/[^\s@"'<>]+@[^\s@"'<>]+/g, '<email>')
    .replace(/\+?\d[\d ().-]{6,}\d/g, '<number>')
    .replace(/[A-Za-z0-9_-]{32,}/g, '<token>');
}

/** Logs a provider's refusal with its body redacted (the outcome itself carries only the classification). */
export function logProviderAnswer(provider: string, status: number, body: string): void {
  log.info({ provider, status, body: redact(body) }, 'provider refused a message');
}
