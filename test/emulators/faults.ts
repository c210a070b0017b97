/** Fault injection shared by the provider emulators: the next N requests fail in a chosen way. */

/** A fault an emulator can answer with instead of doing its job. */
export type Fault =
  | { kind: 'status'; status: number; retryAfterSeconds?: number }
  /** Accept the request and never answer (the client's timeout fires). */
  | { kind: 'hang' }
  /** Take the request and drop the connection without an answer: the client cannot know whether it arrived. */
  | { kind: 'drop' };

/** A queue of faults: each request takes the next one, if any. */
export class Faults {
  private readonly queue: Fault[] = [];
  /** Requests answered with a fault so far. */
  injected = 0;

  /** The next `times` requests get `fault`. */
  next(times: number, fault: Fault): void {
    for (let i = 0; i < times; i++) this.queue.push(fault);
  }

  /**
   * Plays the next fault on a request, if any: hangs it, drops its connection (`drop`), or answers it with the
   * fault's status and Retry-After (`answer`). Returns whether it did.
   */
  play(drop: () => void, answer: (status: number, headers: Record<string, string>) => void): boolean {
    const fault = this.take();
    if (!fault) return false;
    if (fault.kind === 'drop') drop();
    if (fault.kind === 'status') answer(fault.status, fault.retryAfterSeconds ? { 'retry-after': String(fault.retryAfterSeconds) } : {});
    return true;
  }

  take(): Fault | undefined {
    const fault = this.queue.shift();
    if (fault) this.injected++;
    return fault;
  }
}
