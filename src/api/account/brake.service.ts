/**
 * The account emergency brake. The switch is a persisted flag that every send batch checks before it claims
 * anything; turning it on also holds every Sending campaign of the account through its workflow (so in-flight
 * batches abort before the response), turning it off releases exactly the campaigns the brake holds. Both fan out
 * over the store, which is current, not over Temporal's visibility, which may lag.
 */
import { controlLatency } from '../../observability/metrics';
import type { Client } from '@temporalio/client';
import { InvalidTransitionError } from '../../domain/errors';
import type { BrakeState } from '../../domain/types';
import { brakeExpiry } from '../../domain/vocabulary';
import type { Principal, Store } from '../../store/store';
import { brakeUpdate, campaignWorkflowId, releaseUpdate } from '../../workflows/definitions';
import { refusalOf } from '../campaigns/campaigns.service';
import { audit } from '../common/audit';
import { keyName } from '../common/key-names';

/**
 * How long the switch waits for a campaign's workflow by default (its worker may be down). The flag is set before
 * the fan-out, so a campaign that does not answer in time still sends nothing: it holds at its next batch.
 */
const ANSWER_WITHIN_MS = 10_000;

/** What a switch of the brake did. */
export interface BrakeResult extends BrakeState {
  /** Campaigns held (brake on) or released (brake off) through their workflows. */
  campaigns: string[];
  /** Campaigns that had already left the state the switch acts on (finished, stopped, paused by hand). */
  skipped: string[];
  /**
   * Campaigns whose workflow did not answer in time: each holds itself at its next batch (on), or is released
   * by switching off again or resuming it (off).
   */
  errors: { campaignId: string; error: string }[];
  /** Request to response. */
  ms: number;
}

/** The brake's use cases. */
export class BrakeService {
  constructor(private readonly deps: { store: Store; temporal: Client; answerWithinMs?: number }) {}

  /** The brake's state, with the name of the API key that last switched it. */
  async state(principal: Principal): Promise<BrakeState & { byName: string | null }> {
    const brake = await this.deps.store.getBrake(principal.accountId);
    return { ...brake, byName: await keyName(this.deps.store, principal.accountId, brake.by) };
  }

  /**
   * Turns the brake on or off and fans out to the campaigns it acts on; answers once each of them has. Switching
   * to the state the brake is already in fans out again, which reaches campaigns an earlier switch missed.
   */
  async set(principal: Principal, on: boolean): Promise<BrakeResult> {
    const started = Date.now();
    const { store, temporal } = this.deps;
    // Read beside the switch: a campaign that starts sending meanwhile meets the brake at its first handover.
    const [brake, ids] = await Promise.all([
      store.setBrake(principal.accountId, on, principal.keyId, new Date()),
      on
        ? store.campaignIdsWhere(principal.accountId, { statuses: ['Sending'] })
        : store.campaignIdsWhere(principal.accountId, { statuses: ['Paused', 'Scheduled'], heldByBrake: true }),
    ]);
    const result: BrakeResult = { ...brake, campaigns: [], skipped: [], errors: [], ms: 0 };
    const requestedBy = principal.keyId;
    const expireBefore = brakeExpiry(brake.since);
    await Promise.all(
      ids.map(async (campaignId) => {
        const handle = temporal.workflow.getHandle(campaignWorkflowId(campaignId));
        try {
          await temporal.withDeadline(Date.now() + (this.deps.answerWithinMs ?? ANSWER_WITHIN_MS), () =>
            on
              ? handle.executeUpdate(brakeUpdate, { args: [{ requestedBy }] })
              : handle.executeUpdate(releaseUpdate, { args: [{ requestedBy, expireBefore }] }),
          );
          result.campaigns.push(campaignId);
        } catch (err) {
          if (wasRefused(err, on)) result.skipped.push(campaignId);
          else result.errors.push({ campaignId, error: (err as Error).message });
        }
      }),
    );
    result.ms = Date.now() - started;
    controlLatency.observe({ action: on ? 'brake' : 'release' }, result.ms / 1000);
    await audit(store, principal, on ? 'account.brake.on' : 'account.brake.off', principal.accountId, result.errors.length ? 'error' : 'ok', {
      campaigns: result.campaigns,
      skipped: result.skipped,
      errors: result.errors,
      ms: result.ms,
    });
    return result;
  }
}

/** The workflow refused the update (its status had moved on) or has closed: nothing for the brake to do there. */
function wasRefused(err: unknown, on: boolean): boolean {
  return refusalOf(err, on ? 'brake' : 'release', on ? 'Sending' : 'Paused') instanceof InvalidTransitionError;
}
