/**
 * Receipts of concurrent requests ingested together. Most providers post one event per request (Twilio, Vonage,
 * Postmark, Mailgun, SNS), and each ingestion is one statement whose planning and commit cost as much as
 * storing hundreds of receipts: receipts of one account and provider kind arriving within a few milliseconds of
 * each other go into one `ingest`. A request's promise settles when that statement has, so a provider is answered
 * only once its receipts are stored (and an error reaches every request of the batch, whose providers retry).
 * At most `maxInFlight` statements run at once: under a flood of receipts (a big SMS campaign's status callbacks)
 * the batches grow instead of the statements, so the receipt routes hold a few of the store's connections and
 * never queue the API's own queries (a stop's) behind thousands of theirs.
 */
import type { Logger } from 'pino';
import type { InboundReceipt, IngestResult } from '../store/receipts';

/** How receipts are stored: `ReceiptStore.ingest`. */
export type Ingest = (accountId: string, provider: string, receipts: InboundReceipt[]) => Promise<IngestResult>;

/**
 * How long the first receipts of a batch wait for others, how many receipts close a batch at once, and how many
 * ingest statements may run at once.
 */
export interface BatchOptions {
  windowMs: number;
  maxReceipts: number;
  maxInFlight: number;
}

/** Coalesces what `add` is given, per account and provider kind, within `windowMs`. */
export class ReceiptBatcher {
  private readonly open = new Map<string, Batch>();
  /** Closed batches waiting for a statement slot, oldest first. */
  private readonly ready: Ready[] = [];
  /** Batches whose statement is running. */
  private readonly running: Ready[] = [];
  private lastStarted: string | undefined;

  constructor(
    private readonly ingest: Ingest,
    private readonly logger: Logger,
    private readonly opts: BatchOptions = { windowMs: 3, maxReceipts: 2_000, maxInFlight: 2 },
  ) {}

  /** Stores `receipts` with those that arrive alongside; resolves with what the batch's ingestion did. */
  add(accountId: string, provider: string, receipts: InboundReceipt[]): Promise<IngestResult> {
    if (receipts.length === 0) return Promise.resolve({ received: 0, duplicates: 0, matched: 0 });
    if (receipts.length >= this.opts.maxReceipts) {
      return new Promise((resolve, reject) => this.enqueue({ accountId, provider, receipts, waiters: [{ resolve, reject }] }));
    }
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
    this.enqueue(batch);
  }

  /**
   * Queues a closed batch for a statement slot, into a waiting batch of the same account and kind while that has
   * room: under load, batches grow while they wait.
   */
  private enqueue(batch: Ready): void {
    const into = this.ready.find(
      (b) => b.accountId === batch.accountId && b.provider === batch.provider && b.receipts.length + batch.receipts.length <= this.opts.maxReceipts,
    );
    if (into) {
      into.receipts.push(...batch.receipts);
      into.waiters.push(...batch.waiters);
    } else this.ready.push(batch);
    this.pump();
  }

  /**
   * Starts waiting batches while there are statement slots: the oldest of an account that has no statement running
   * and did not start the last one, so that accounts take turns and one's flood of receipts does not hold
   * another's behind it.
   */
  private pump(): void {
    while (this.running.length < this.opts.maxInFlight && this.ready.length > 0) {
      const idle = (b: Ready) => !this.running.some((r) => r.accountId === b.accountId);
      const turn = this.ready.findIndex((b) => idle(b) && b.accountId !== this.lastStarted);
      const batch = this.ready.splice(turn >= 0 ? turn : Math.max(this.ready.findIndex(idle), 0), 1)[0]!;
      this.lastStarted = batch.accountId;
      this.running.push(batch);
      this.run(batch)
        .then(
          (result) => batch.waiters.forEach((w) => w.resolve(result)),
          (err: unknown) => batch.waiters.forEach((w) => w.reject(err)),
        )
        .finally(() => {
          this.running.splice(this.running.indexOf(batch), 1);
          this.pump();
        });
    }
  }

  private async run({ accountId, provider, receipts, waiters }: Ready): Promise<IngestResult> {
    const result = await this.ingest(accountId, provider, receipts);
    const unmatched = result.received - result.matched;
    // Receipts that came before their send was recorded are matched by a later pass.
    if (unmatched > 0) this.logger.info({ accountId, kind: provider, requests: waiters.length, ...result, unmatched }, 'receipts kept for a later match');
    return result;
  }
}

/** A closed batch: its receipts, and the requests waiting for their ingestion. */
interface Ready {
  accountId: string;
  provider: string;
  receipts: InboundReceipt[];
  waiters: { resolve(result: IngestResult): void; reject(err: unknown): void }[];
}

/** A batch still open to receipts of its account and kind, until its timer or its size closes it. */
interface Batch extends Ready {
  timer: NodeJS.Timeout;
}
