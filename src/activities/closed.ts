/**
 * Which campaigns sending in this worker have been closed to senders (a pause's, stop's or delete's fence, or the
 * account's brake), asked of the store for all of them in one query every few milliseconds while any batch sends.
 *
 * A batch whose campaign closes starts no more messages at its provider: what it handed over and had not started
 * comes back (pending), so the campaign is quiet once the requests on the wire have ended, instead of once its
 * whole chunk has drained through the provider's limits (at an 800 ms provider, a wave of requests or more). The
 * handover's fence check stays the guarantee; this only makes a stop, pause or brake sooner. Without it, a batch
 * would learn of the close from its Temporal cancellation, which comes after the workflow has heard.
 */

/** How often the store is asked while batches send (one indexed query for every campaign of the worker). */
export const CLOSED_POLL_MS = 20;

export class ClosedWatch {
  private readonly watched = new Map<string, Set<AbortController>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly closedOf: (campaignIds: string[]) => Promise<string[]>,
    private readonly everyMs = CLOSED_POLL_MS,
  ) {}

  /** Watches `campaignId` for one batch until `release`; `signal` aborts once the campaign is seen closed. */
  watch(campaignId: string): { signal: AbortSignal; release(): void } {
    const controller = new AbortController();
    let batches = this.watched.get(campaignId);
    if (!batches) this.watched.set(campaignId, (batches = new Set()));
    batches.add(controller);
    this.timer ??= setTimeout(() => void this.tick(), this.everyMs).unref();
    return {
      signal: controller.signal,
      release: () => {
        const set = this.watched.get(campaignId);
        set?.delete(controller);
        if (set?.size === 0) this.watched.delete(campaignId);
      },
    };
  }

  /**
   * `campaignId` was just closed by this worker (its fence written): its batches here stop starting messages now,
   * without waiting for the next look at the store.
   */
  closedHere(campaignId: string): void {
    for (const controller of this.watched.get(campaignId) ?? []) controller.abort();
    this.watched.delete(campaignId);
  }

  private async tick(): Promise<void> {
    const ids = [...this.watched.keys()];
    if (ids.length > 0) {
      try {
        for (const id of await this.closedOf(ids)) {
          for (const controller of this.watched.get(id) ?? []) controller.abort();
          this.watched.delete(id);
        }
      } catch {
        // The store did not answer: the handover's own check still holds; asked again at the next tick.
      }
    }
    this.timer = this.watched.size > 0 ? setTimeout(() => void this.tick(), this.everyMs).unref() : undefined;
  }
}
