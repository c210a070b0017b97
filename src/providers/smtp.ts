/** Email over SMTP with nodemailer: pooled connections, TLS options, the account's sender, List-Unsubscribe. */
import nodemailer, { type Transporter } from 'nodemailer';
import { EgressRefusedError, isAllowedHost, resolvePublic, type EgressPolicy } from './egress';
import { Limiter, limitsOf, type SharedLimits } from './limits';
import { cleanOutcome, networkReason } from './outcomes';
import type { OutboundMessage, Provider, SendOutcome } from './provider';

/** SMTP settings of an account (secrets apart). */
export interface SmtpConfig {
  host: string;
  port: number;
  /** Implicit TLS (port 465); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  /** Refuse to send unless the connection is upgraded with STARTTLS. */
  requireTLS?: boolean;
  /** Verify the server's certificate (default true). */
  rejectUnauthorized?: boolean;
  /** PEM certificate(s) to trust for a relay with a private CA or a self-signed certificate. */
  ca?: string;
  /** The sender identity, e.g. `"Acme" <news@acme.example>`. */
  from: string;
  replyTo?: string;
  /** Pooled connections kept open (default 5). */
  maxConnections?: number;
  ratePerSecond?: number;
  /** The account provider's limits in the store, so `ratePerSecond` and `concurrency` hold across workers. */
  shared?: SharedLimits;
  /** For an account's relay: where it may connect (checked once, then the transport is pinned to that address). */
  egress?: EgressPolicy;
}

/** SMTP credentials. */
export interface SmtpSecrets {
  user?: string;
  pass?: string;
}

/** Reply codes that mean the mailbox itself is bad: the contact is suppressed for email. */
const BAD_MAILBOX = new Set([550, 551, 553]);

/** The SMTP provider. */
export class SmtpProvider implements Provider {
  readonly name = 'smtp';
  private transport: Promise<Transporter> | undefined;
  private readonly limiter: Limiter;
  private readonly domain: string;

  constructor(
    private readonly config: SmtpConfig,
    private readonly secrets: SmtpSecrets = {},
  ) {
    const maxConnections = config.maxConnections ?? 5;
    this.limiter = new Limiter(limitsOf(config, maxConnections));
    this.domain = /@([^>\s]+)/.exec(config.from)?.[1] ?? 'herald.invalid';
  }

  /**
   * The pooled transport, made on first use: under an egress policy the host is resolved and checked once and
   * the pool connects to that address (the name is kept for TLS), so it cannot be re-pointed by DNS later.
   */
  private connect(): Promise<Transporter> {
    this.transport ??= (async () => {
      const { config, secrets } = this;
      let host = config.host;
      if (config.egress && !isAllowedHost(config.egress, config.host, config.port)) {
        if (![25, 465, 587, 2525].includes(config.port)) throw new EgressRefusedError('refused: not a mail port');
        host = (await resolvePublic(config.egress, config.host))[0]!.address;
      }
      return nodemailer.createTransport({
        pool: true,
        host,
        port: config.port,
        secure: config.secure,
        requireTLS: config.requireTLS ?? false,
        maxConnections: config.maxConnections ?? 5,
        maxMessages: 1000,
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 30_000,
        tls: {
          rejectUnauthorized: config.rejectUnauthorized ?? true,
          ...(config.ca ? { ca: config.ca } : {}),
          ...(host !== config.host ? { servername: config.host } : {}),
        },
        ...(secrets.user ? { auth: { user: secrets.user, pass: secrets.pass ?? '' } } : {}),
      });
    })();
    // A refusal or a failed lookup is tried again with the next message.
    this.transport.catch(() => (this.transport = undefined));
    return this.transport;
  }

  send(messages: OutboundMessage[], signal: AbortSignal, startBy?: number): Promise<SendOutcome[]> {
    return this.limiter.each(messages, signal, async (m) => cleanOutcome(await this.sendOne(m), `smtp/${m.deliveryId}`), startBy);
  }

  private async sendOne(m: OutboundMessage): Promise<SendOutcome> {
    let transport: Transporter;
    try {
      transport = await this.connect();
    } catch (err) {
      const error = `smtp: ${networkReason(err)}`;
      return err instanceof EgressRefusedError ? { status: 'permanent', error } : { status: 'retryable', error, notTaken: true };
    }
    try {
      const info = (await transport.sendMail({
        from: this.config.from,
        to: m.to,
        ...(this.config.replyTo ? { replyTo: this.config.replyTo } : {}),
        subject: m.subject ?? '',
        text: m.body,
        ...(m.html ? { html: m.html } : {}),
        // The Message-ID carries the delivery, so bounces and replies lead back to it.
        messageId: `<${m.deliveryId}.${m.campaignId}@${this.domain}>`,
        headers: {
          'X-Herald-Campaign': m.campaignId,
          'X-Herald-Delivery': String(m.deliveryId),
          ...(m.unsubscribeUrl
            ? { 'List-Unsubscribe': `<${m.unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' }
            : {}),
        },
      })) as { messageId: string; rejected?: unknown[] };
      if (info.rejected && info.rejected.length > 0) return { status: 'permanent', error: 'smtp: recipient rejected', suppress: true };
      return { status: 'accepted', providerMessageId: info.messageId };
    } catch (err) {
      return classify(err as Error & { responseCode?: number; response?: string; code?: string });
    }
  }

  async close(): Promise<void> {
    const transport = await this.transport?.catch(() => undefined);
    transport?.close();
  }
}

/** What SMTP reply codes mean, for errors that carry the code and never the server's text. */
const REPLIES: Record<number, string> = {
  421: 'service not available',
  450: 'mailbox unavailable (temporary)',
  451: 'local error in processing',
  452: 'insufficient storage',
  454: 'TLS not available',
  500: 'command not recognised',
  501: 'syntax error in parameters',
  503: 'bad sequence of commands',
  530: 'authentication required',
  534: 'authentication mechanism too weak',
  535: 'authentication failed',
  550: 'mailbox unavailable',
  551: 'user not local',
  552: 'exceeded storage allocation',
  553: 'mailbox name not allowed',
  554: 'transaction failed',
};

/**
 * SMTP reply codes: 5xx is permanent (a bad mailbox suppresses the contact), 4xx and network trouble retryable.
 * The error names the reply code and its meaning, never the server's text (which often quotes the recipient).
 */
function classify(err: Error & { responseCode?: number; response?: string; code?: string }): SendOutcome {
  const code = err.responseCode;
  const error = code ? `smtp: ${code} ${REPLIES[code] ?? (code >= 500 ? 'permanent failure' : 'temporary failure')}` : `smtp: ${networkReason(err)}`;
  if (err.responseCode && err.responseCode >= 500) {
    return { status: 'permanent', error, suppress: BAD_MAILBOX.has(err.responseCode) };
  }
  if (err.code === 'EAUTH' || err.code === 'EENVELOPE') return { status: 'permanent', error };
  // A 4xx reply refused the message; without a reply (connection lost, timeout) it is in doubt.
  return { status: 'retryable', error, ...(err.responseCode ? { notTaken: true as const } : {}) };
}
