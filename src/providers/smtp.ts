/** Email over SMTP with nodemailer: pooled connections, TLS options, the account's sender, List-Unsubscribe. */
import nodemailer, { type Transporter } from 'nodemailer';
import { Limiter } from './limits';
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
  private readonly transport: Transporter;
  private readonly limiter: Limiter;
  private readonly domain: string;

  constructor(
    private readonly config: SmtpConfig,
    secrets: SmtpSecrets = {},
  ) {
    const maxConnections = config.maxConnections ?? 5;
    this.transport = nodemailer.createTransport({
      pool: true,
      host: config.host,
      port: config.port,
      secure: config.secure,
      requireTLS: config.requireTLS ?? false,
      maxConnections,
      maxMessages: 1000,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
      tls: { rejectUnauthorized: config.rejectUnauthorized ?? true, ...(config.ca ? { ca: config.ca } : {}) },
      ...(secrets.user ? { auth: { user: secrets.user, pass: secrets.pass ?? '' } } : {}),
    });
    this.limiter = new Limiter({ concurrency: maxConnections, ...(config.ratePerSecond ? { ratePerSecond: config.ratePerSecond } : {}) });
    this.domain = /@([^>\s]+)/.exec(config.from)?.[1] ?? 'herald.invalid';
  }

  send(messages: OutboundMessage[], signal: AbortSignal, startBy?: number): Promise<SendOutcome[]> {
    return this.limiter.each(messages, signal, (m) => this.sendOne(m), startBy);
  }

  private async sendOne(m: OutboundMessage): Promise<SendOutcome> {
    try {
      const info = (await this.transport.sendMail({
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

  close(): Promise<void> {
    this.transport.close();
    return Promise.resolve();
  }
}

/** SMTP reply codes: 5xx is permanent (a bad mailbox suppresses the contact), 4xx and network trouble retryable. */
function classify(err: Error & { responseCode?: number; response?: string; code?: string }): SendOutcome {
  const error = `smtp: ${err.response ?? err.message}`;
  if (err.responseCode && err.responseCode >= 500) {
    return { status: 'permanent', error, suppress: BAD_MAILBOX.has(err.responseCode) };
  }
  if (err.code === 'EAUTH' || err.code === 'EENVELOPE') return { status: 'permanent', error };
  // A 4xx reply refused the message; without a reply (connection lost, timeout) it is in doubt.
  return { status: 'retryable', error, ...(err.responseCode ? { notTaken: true as const } : {}) };
}
