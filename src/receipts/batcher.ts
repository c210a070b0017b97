/**
 * Receipts of concurrent requests ingested together. Most providers post one event per request (Twilio, Vonage,
 * Postmark, Mailgun, SNS), and each ingestion is one statement whose planning and commit cost as much as
 * storing hundreds of receipts: receipts of one account and provider kind arriving within a few milliseconds of
 * each other go into one `ingest`. A request's promise settles when that statement has, so a provider is answered
 * only once its receipts are stored (and an error reaches every request of the batch, whose providers retry).
 */
import type { Logger } from 'pino';
import type { InboundReceipt, IngestResult } from '../store/receipts';

/** How receipts are stored: `ReceiptStore.ingest`. */
export type Ingest = (accountId: string, provider: string, receipts: InboundReceipt[]) => Promise<IngestResult>;

/** How long the first receipts of a batch wait for others, and how many receipts close a batch at once. */
export interface BatchOptions {
  windowMs: number;
  maxReceipts: number;
}

/** Coalesces what `add` is given, per account and provider kind, within `windowMs`. */
export class ReceiptBatcher {
  private readonly open = new Map<string, Batch>();

  constructor(
    private readonly ingest: Ingest,
    private readonly logger: Logger,
    private readonly opts: BatchOptions = { windowMs: 3, maxReceipts: 2_000 },
  ) {}

  /** Stores `receipts` with those that arrive alongside; resolves with what the batch's ingestion did. */
  add(accountId: string, provider: string, receipts: InboundReceipt[]): Promise<IngestResult> {
    if (receipts.length === 0) return Promise.resolve({ received: 0, duplicates: 0, matched: 0 });
    if (receipts.length >= this.opts.maxReceipts) return this.run(accountId, provider, receipts, 1);
    const key = `${accountId}\u0000${provider}`;
    let batch = this.open.get(key);
    if (!batch) {
      batch = { accountId, provider, receipts: [], waiters: [], timer: setTimeout(() => this.flush(key), this.opts.windowMs) };
      this.open.set(key, batch);
    }
    batch.receipts.push(...receipts);
    const done = new Promise<IngestResult>((resolve, reject) => batch.waiters.push({ resolve, reject }));
    if (batch.receipts.length >= this.opts.maxReceipts) this.flush(key);
    return done;
  }

  private flush(key: string): void {
    const batch = this.open.get(key)!;
    this.open.delete(key);
    clearTimeout(batch.timer);
    this.run(batch.accountId, batch.provider, batch.receipts, batch.waiters.length).then(
      (result) => batch.waiters.forEach((w) => w.resolve(result)),
      (err: unknown) => batch.waiters.forEach((w) => w.reject(err)),
    );
  }

  private async run(accountId: string, provider: string, receipts: InboundReceipt[], requests: number): Promise<IngestResult> {
    const result = await this.ingest(accountId, provider, receipts);
    const unmatched = result.received - result.matched;
    // Receipts that came before their send was recorded are matched by a later pass.
    if (unmatched > 0) this.logger.info({ accountId, kind: provider, requests, ...result, unmatched }, 'receipts kept for a later match');
    return result;
  }
}

interface Batch {
  accountId: string;
  provider: string;
  receipts: InboundReceipt[];
  waiters: { resolve(result: IngestResult): void; reject(err: unknown): void }[];
  timer: NodeJS.Timeout;
}
