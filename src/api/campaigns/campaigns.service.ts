/**
 * Campaign use cases: create and edit Drafts, start them now or at a time, control them (pause, resume, stop,
 * cancel, unschedule) through their workflow's updates, copy them, and read them with exact counts.
 */
import {
  WithStartWorkflowOperation,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { BrakeOnError, ConfirmationError, InvalidInputError, InvalidTransitionError, NotFoundError } from '../../domain/errors';
import type { BrakeState, Campaign, ChannelContent, ControlReport, DeliveryCounts } from '../../domain/types';
import { PLANNED_STATUSES, brakeExpiry, canControl, type CampaignStatus, type Channel, type ControlAction } from '../../domain/vocabulary';
import { renderIsolated, templateCostProblem } from '../../templates';
import type { campaignWorkflow } from '../../workflows/campaign';
import {
  AccountIdAttribute,
  CAMPAIGN_WORKFLOW_TYPE,
  CampaignStatusAttribute,
  ChannelsAttribute,
  REFUSED,
  campaignWorkflowId,
  cancelUpdate,
  deleteUpdate,
  pauseUpdate,
  releaseUpdate,
  reopenForStop,
  resumeUpdate,
  stopUpdate,
  unscheduleUpdate,
  type ReleaseInput,
} from '../../workflows/definitions';
import type { ApiSettings } from '../../config';
import { audit } from '../common/audit';
import { keyName } from '../common/key-names';
import { controlLatency } from '../../observability/metrics';
import { emptyReceiptCounts, type CampaignReceiptCounts, type ReceiptCounts, type ReceiptFilter } from '../../store/receipts';
import { RATE_WINDOW_SECONDS, type CampaignCounts, type CampaignPatch, type NewCampaign, type Principal, type Store } from '../../store/store';

/** What the campaign service needs. */
export interface CampaignServiceDeps {
  store: Store;
  temporal: Client;
  settings: ApiSettings;
}

/** A campaign as the API returns it: stored fields, exact counts, the account's brake, its Temporal workflow. */
export type CampaignView = Campaign & {
  /** Delivery counts and, merged in, what providers reported after sent. */
  counts: DeliveryCounts & ReceiptCounts;
  byChannel: Partial<Record<Channel, DeliveryCounts & ReceiptCounts>>;
  progress: number;
  /** When a sending campaign should finish at the rate of the last seconds; null when it is not sending. */
  eta: Eta | null;
  brake: BrakeState;
  workflowId: string;
  workflowUrl: string;
};

/** A sending campaign's rate and the time its pending deliveries should be done by, at that rate. */
export interface Eta {
  messagesPerSecond: number;
  secondsLeft: number;
  at: Date;
}

/** A planned send as the planned list shows it. */
export type PlannedView = CampaignView & { nextPlannedAt: Date | null };

/** Refuses (400 naming the field) a channel template that a worst-case contact makes too expensive to render. */
async function checkRenderCost(channels: readonly ChannelContent[]): Promise<void> {
  for (const [i, content] of channels.entries()) {
    for (const part of ['subject', 'body', 'html'] as const) {
      const source = content[part];
      if (source === undefined) continue;
      const problem = await templateCostProblem(source);
      if (problem) throw InvalidInputError.field(`channels.${i}.${part}`, problem);
    }
  }
}

/** Campaign operations, each scoped to the caller's account and written to the audit log. */
export class CampaignService {
  constructor(private readonly deps: CampaignServiceDeps) {}

  async create(principal: Principal, input: NewCampaign): Promise<CampaignView> {
    await checkRenderCost(input.channels);
    await this.requireAudience(principal, input.audienceId);
    const campaign = await this.deps.store.createCampaign(principal.accountId, input);
    await audit(this.deps.store, principal, 'campaign.create', campaign.id, 'ok');
    return this.view(campaign);
  }

  async update(principal: Principal, id: string, patch: CampaignPatch): Promise<CampaignView> {
    if (patch.channels) await checkRenderCost(patch.channels);
    if (patch.audienceId) await this.requireAudience(principal, patch.audienceId);
    const updated = await this.deps.store.updateCampaign(principal.accountId, id, ['Draft'], patch);
    if (!updated) return this.refuse(principal, id, 'update');
    await audit(this.deps.store, principal, 'campaign.update', id, 'ok');
    return this.view(updated);
  }

  /** Starts sending now. */
  sendNow(principal: Principal, id: string): Promise<CampaignView> {
    return this.start(principal, id, 'Sending', undefined);
  }

  /** Schedules the campaign for `at`. */
  schedule(principal: Principal, id: string, at: Date): Promise<CampaignView> {
    return this.start(principal, id, 'Scheduled', at);
  }

  /** Sending -> Paused: returns once no message of it can leave. */
  async pause(principal: Principal, id: string): Promise<CampaignView> {
    return this.progressUpdate(principal, await this.require(principal, id), 'pause');
  }

  /**
   * Paused -> Sending; refused while the account's brake is on. A campaign the brake still holds after its
   * release (one the release did not reach) is released, with the release's 7-day rule.
   */
  async resume(principal: Principal, id: string): Promise<CampaignView> {
    const campaign = await this.require(principal, id);
    const brake = await this.requireBrakeOff(principal, campaign, 'resume');
    if (!campaign.heldByBrake) return this.progressUpdate(principal, campaign, 'resume');
    await this.allow(principal, campaign, 'release');
    const handle = this.deps.temporal.workflow.getHandle(campaignWorkflowId(id));
    const args: [ReleaseInput] = [{ requestedBy: principal.keyId, expireBefore: brakeExpiry(brake.since) }];
    await this.carryOut(principal, campaign, 'release', () => handle.executeUpdate(releaseUpdate, { args }));
    return this.get(principal, id);
  }

  /** Scheduled -> Draft. */
  async unschedule(principal: Principal, id: string): Promise<CampaignView> {
    return this.progressUpdate(principal, await this.require(principal, id), 'unschedule');
  }

  /**
   * Emergency stop from Sending, Paused or Finished; `confirmation` must be the campaign id. A Finished campaign
   * whose workflow has closed is reopened by update-with-start, so what providers still hold can be cancelled.
   */
  async stop(principal: Principal, id: string, confirmation: string): Promise<ControlReport & { requestedByName: string | null }> {
    const campaign = await this.confirmed(principal, id, confirmation, 'stop');
    const { temporal, settings } = this.deps;
    const channels = campaign.channels.map((c) => c.channel);
    const update = () =>
      temporal.workflow.executeUpdateWithStart(stopUpdate, {
        args: [{ confirmation, requestedBy: principal.keyId }],
        startWorkflowOperation: new WithStartWorkflowOperation<typeof campaignWorkflow>(CAMPAIGN_WORKFLOW_TYPE, {
          taskQueue: settings.taskQueue,
          workflowId: campaignWorkflowId(id),
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
          args: [reopenForStop({ campaignId: id, accountId: principal.accountId, channels })],
          typedSearchAttributes: this.searchAttributes(principal, channels, 'Finished'),
          ...uiMetadata(campaign),
        }),
      });
    return this.carryOut(principal, campaign, 'stop', () => this.fenced(id, 'stop', update), (report) => this.named(principal, report));
  }

  /** Scheduled -> Cancelled; a started campaign is stopped instead (with the same confirmation). */
  async cancel(principal: Principal, id: string, confirmation: string | undefined): Promise<ControlReport> {
    const campaign = await this.require(principal, id);
    if (canControl('stop', campaign.status)) return this.stop(principal, id, confirmation ?? '');
    await this.allow(principal, campaign, 'cancel');
    const handle = this.deps.temporal.workflow.getHandle(campaignWorkflowId(id));
    return this.named(principal, await this.carryOut(principal, campaign, 'cancel', () => handle.executeUpdate(cancelUpdate, { args: [{ requestedBy: principal.keyId }] })));
  }

  /**
   * Deletes a planned campaign (Scheduled, Sending or Paused; `confirmation` must be its id): in-flight sends
   * abort, its unsent deliveries become notSent(deleted), and it leaves the lists. Returns the report.
   */
  async delete(principal: Principal, id: string, confirmation: string): Promise<ControlReport> {
    const campaign = await this.confirmed(principal, id, confirmation, 'delete');
    const handle = this.deps.temporal.workflow.getHandle(campaignWorkflowId(id));
    return this.carryOut(
      principal,
      campaign,
      'delete',
      () => this.fenced(id, 'delete', () => handle.executeUpdate(deleteUpdate, { args: [{ confirmation, requestedBy: principal.keyId }] })),
      (report) => this.named(principal, report),
    );
  }

  /** Planned sends, soonest first: campaigns sending or paused, and with `scheduled` those waiting for their time. */
  async planned(principal: Principal, query: { scheduled: boolean }): Promise<{ items: PlannedView[] }> {
    const statuses = query.scheduled ? PLANNED_STATUSES : PLANNED_STATUSES.filter((s) => s !== 'Scheduled');
    const planned = await this.deps.store.listPlanned(principal.accountId, statuses);
    const views = await this.views(principal.accountId, planned);
    return { items: views.map((view, i) => ({ ...view, nextPlannedAt: planned[i]!.nextPlannedAt })) };
  }

  /** A new Draft with the same content whose audience leaves out everyone the original was sent to. */
  async copy(principal: Principal, id: string): Promise<CampaignView> {
    const original = await this.require(principal, id);
    const copy = await this.deps.store.createCampaign(principal.accountId, {
      name: `${original.name} (copy)`.slice(0, 200),
      audienceId: original.audienceId,
      channels: original.channels,
      localTime: original.localTime,
      throttle: original.throttle,
      endAt: original.endAt && original.endAt.getTime() > Date.now() ? original.endAt : null,
      excludeSentOf: [...original.excludeSentOf, original.id],
      resendInDoubt: original.resendInDoubt,
    });
    await audit(this.deps.store, principal, 'campaign.copy', id, 'ok', { copy: copy.id });
    return this.view(copy);
  }

  /** Each channel's templates rendered for one contact of the account. */
  async preview(principal: Principal, id: string, contactId: string) {
    const campaign = await this.require(principal, id);
    return this.previewContent(principal, contactId, campaign.channels);
  }

  /** Templates not saved anywhere yet (a campaign being written) rendered for one contact of the account. */
  async previewContent(principal: Principal, contactId: string, channels: Campaign['channels']) {
    const contact = await this.deps.store.getContact(principal.accountId, contactId);
    if (!contact) throw InvalidInputError.field('contactId', `unknown contact ${contactId}`);
    return {
      contactId,
      // Off the event loop, within the per-message budget: a stored template may predate the save-time check.
      channels: await Promise.all(
        channels.map(async (content) => {
          try {
            return { channel: content.channel, ...(await renderIsolated(content, contact)) };
          } catch (err) {
            return { channel: content.channel, error: `template: ${(err as Error).message}` };
          }
        }),
      ),
    };
  }

  /** The report of a campaign's stop or cancel. */
  async report(principal: Principal, id: string): Promise<ControlReport> {
    await this.require(principal, id);
    const report = await this.deps.store.getReport(principal.accountId, id);
    if (!report) throw new NotFoundError('report of campaign', id);
    return this.named(principal, report);
  }

  async get(principal: Principal, id: string): Promise<CampaignView> {
    return this.view(await this.require(principal, id));
  }

  async list(principal: Principal, query: { status?: CampaignStatus; includeDeleted?: boolean; after?: string; limit: number }) {
    const page = await this.deps.store.listCampaigns(principal.accountId, query);
    return { items: await this.views(principal.accountId, page.items), next: page.next };
  }

  /** A campaign's deliveries, by state or by what providers reported (`outcome`), each with its receipt. */
  async deliveries(principal: Principal, id: string, query: Parameters<Store['listDeliveries']>[1] & { outcome?: ReceiptFilter | undefined }) {
    await this.require(principal, id);
    const { outcome, ...rest } = query;
    const page = outcome
      ? await this.deps.store.receipts.listDeliveries(id, outcome, rest)
      : await this.deps.store.listDeliveries(id, rest);
    const receipts = await this.deps.store.receipts.ofDeliveries(page.items.map((d) => d.id));
    return {
      ...page,
      items: page.items.map((d) => {
        const r = receipts.get(d.id);
        return { ...d, receipt: r ? { outcome: r.outcome, bounce: r.bounce, reason: r.reason, provider: r.provider, at: r.at, complainedAt: r.complainedAt, unsubscribedAt: r.unsubscribedAt } : null };
      }),
    };
  }

  private async start(principal: Principal, id: string, status: CampaignStatus, at: Date | undefined): Promise<CampaignView> {
    const { store, temporal } = this.deps;
    const action = at ? 'schedule' : 'send';
    // While the brake is on nothing starts now; a schedule is kept, and waits for the release if its time comes.
    if (!at) await this.requireBrakeOff(principal, { id, status: 'Draft' }, action);
    // The conditional update is the guard: of two concurrent sends, one wins and the other gets 409.
    const campaign = await store.updateCampaign(principal.accountId, id, ['Draft'], { status, scheduledAt: at ?? null });
    if (!campaign) return this.refuse(principal, id, action);
    try {
      await temporal.workflow.start<typeof campaignWorkflow>(CAMPAIGN_WORKFLOW_TYPE, {
        taskQueue: this.deps.settings.taskQueue,
        workflowId: campaignWorkflowId(id),
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        // Only a Draft starts, and a Draft's workflow can only be an unscheduled run still closing: replace it.
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.TERMINATE_EXISTING,
        args: [
          {
            campaignId: id,
            accountId: principal.accountId,
            channels: campaign.channels.map((c) => c.channel),
            ...(at ? { scheduledAt: at.toISOString() } : {}),
            options: this.deps.settings.sendOptions,
          },
        ],
        typedSearchAttributes: this.searchAttributes(principal, campaign.channels.map((c) => c.channel), status),
        ...uiMetadata(campaign),
      });
    } catch (err) {
      await store.updateCampaign(principal.accountId, id, [status], { status: 'Draft', scheduledAt: null });
      await audit(this.deps.store, principal, `campaign.${action}`, id, 'error', { error: (err as Error).message });
      throw err;
    }
    await audit(this.deps.store, principal, `campaign.${action}`, id, 'ok', at ? { at: at.toISOString() } : undefined);
    return this.view(campaign);
  }

  private searchAttributes(principal: Principal, channels: Campaign['channels'][number]['channel'][], status: CampaignStatus) {
    return [
      { key: CampaignStatusAttribute, value: status },
      { key: AccountIdAttribute, value: principal.accountId },
      { key: ChannelsAttribute, value: channels },
    ];
  }

  /** Pause, resume or unschedule through the workflow; returns the campaign as it is afterwards. */
  private async progressUpdate(principal: Principal, campaign: Campaign, action: 'pause' | 'resume' | 'unschedule'): Promise<CampaignView> {
    await this.allow(principal, campaign, action);
    const update = { pause: pauseUpdate, resume: resumeUpdate, unschedule: unscheduleUpdate }[action];
    const handle = this.deps.temporal.workflow.getHandle(campaignWorkflowId(campaign.id));
    return this.carryOut(
      principal,
      campaign,
      action,
      () => handle.executeUpdate(update, { args: [{ requestedBy: principal.keyId }] }),
      () => this.get(principal, campaign.id),
    );
  }

  /** The campaign, once `confirmation` is its id (else 422, audited) and its status allows `action` (else 409). */
  private async confirmed(principal: Principal, id: string, confirmation: string, action: 'stop' | 'delete'): Promise<Campaign> {
    const campaign = await this.require(principal, id);
    if (confirmation !== id) {
      await audit(this.deps.store, principal, `campaign.${action}`, id, 'refused', { reason: 'confirmation mismatch' });
      throw new ConfirmationError(`confirmation: type the campaign id exactly to ${action} it`);
    }
    await this.allow(principal, campaign, action);
    return campaign;
  }

  /**
   * Runs `update` while the campaign's fence is written: durable before the answer, so no worker, not even one back
   * from an outage before the workflow runs again, hands another message of the campaign over. (Never lifted: stop
   * and delete are final.) Beside the update rather than before it, so the workflow hears a store round trip
   * sooner; it writes the fence too, and answers only once the fence is visible.
   */
  private async fenced<T>(id: string, action: 'stop' | 'delete', update: () => Promise<T>): Promise<T> {
    const fence = this.deps.store.fence(id, action);
    fence.catch(() => undefined);
    const result = await update();
    await fence;
    return result;
  }

  /** Refuses (409, audited) an action while the account's brake is on; returns the brake (off). */
  private async requireBrakeOff(principal: Principal, campaign: Pick<Campaign, 'id' | 'status'>, action: string): Promise<BrakeState> {
    const brake = await this.deps.store.getBrake(principal.accountId);
    if (!brake.on) return brake;
    await audit(this.deps.store, principal, `campaign.${action}`, campaign.id, 'refused', { status: campaign.status, brake: 'on' });
    throw new BrakeOnError(`${action} campaign ${campaign.id}`, brake.since, brake.by);
  }

  /** Refuses (409, audited) an action the stored status does not allow; the workflow checks again in its validator. */
  private async allow(principal: Principal, campaign: Campaign, action: ControlAction): Promise<void> {
    if (canControl(action, campaign.status)) return;
    await audit(this.deps.store, principal, `campaign.${action}`, campaign.id, 'refused', { status: campaign.status });
    throw new InvalidTransitionError(action, campaign.status);
  }

  /** A report with the name of the API key that asked for it. */
  private async named(principal: Principal, report: ControlReport): Promise<ControlReport & { requestedByName: string | null }> {
    return { ...report, requestedByName: await keyName(this.deps.store, principal.accountId, report.requestedBy) };
  }

  /**
   * Runs a workflow update, maps its refusals to 409/422, and audits the outcome; `respond` makes the response from
   * the update's result, its reads beside the audit line's write (the answer has come: only these are left).
   */
  private async carryOut<T, R = T>(
    principal: Principal,
    campaign: Campaign,
    action: ControlAction,
    call: () => Promise<T>,
    respond: (result: T) => Promise<R> = (result) => Promise.resolve(result as unknown as R),
  ): Promise<R> {
    const started = Date.now();
    let result: T;
    try {
      result = await call();
    } catch (err) {
      const refusal = refusalOf(err, action, campaign.status);
      await audit(this.deps.store, principal, `campaign.${action}`, campaign.id, refusal ? 'refused' : 'error', {
        error: (refusal ?? (err as Error)).message,
      });
      throw refusal ?? err;
    }
    controlLatency.observe({ action }, (Date.now() - started) / 1000);
    const [, response] = await Promise.all([
      audit(this.deps.store, principal, `campaign.${action}`, campaign.id, 'ok', { ms: Date.now() - started }),
      respond(result),
    ]);
    return response;
  }

  private async require(principal: Principal, id: string): Promise<Campaign> {
    const campaign = await this.deps.store.getCampaign(principal.accountId, id);
    if (!campaign) throw new NotFoundError('campaign', id);
    return campaign;
  }

  private async requireAudience(principal: Principal, audienceId: string): Promise<void> {
    if (!(await this.deps.store.getAudience(principal.accountId, audienceId))) {
      throw InvalidInputError.field('audienceId', `unknown audience ${audienceId}`);
    }
  }

  /** Explains why an action is not allowed: 404 for unknown ids, 409 naming the status otherwise. */
  private async refuse(principal: Principal, id: string, action: string): Promise<never> {
    const current = await this.require(principal, id);
    await audit(this.deps.store, principal, `campaign.${action}`, id, 'refused', { status: current.status });
    throw new InvalidTransitionError(action, current.status);
  }

  private async view(campaign: Campaign): Promise<CampaignView> {
    return (await this.views(campaign.accountId, [campaign]))[0]!;
  }

  /** Views of campaigns of one account: exact counts, the rate of those sending, the account's brake, read at once. */
  private async views(accountId: string, campaigns: Campaign[]): Promise<CampaignView[]> {
    const { store } = this.deps;
    const sending = campaigns.filter((c) => c.status === 'Sending').map((c) => c.id);
    const ids = campaigns.map((c) => c.id);
    const [counts, receipts, recent, brake] = await Promise.all([
      store.countDeliveriesOf(ids),
      store.receipts.countsOf(ids),
      sending.length > 0 ? store.recentlyDone(sending) : new Map<string, number>(),
      store.getBrake(accountId),
    ]);
    return campaigns.map((c) => this.toView(c, counts.get(c.id)!, receipts.get(c.id)!, brake, recent.get(c.id) ?? 0));
  }

  private toView(campaign: Campaign, counts: CampaignCounts, receipts: CampaignReceiptCounts, brake: BrakeState, recentlyDone: number): CampaignView {
    const { total } = counts;
    const byChannel: CampaignView['byChannel'] = {};
    for (const [channel, c] of Object.entries(counts.byChannel) as [Channel, DeliveryCounts][]) {
      byChannel[channel] = { ...c, ...(receipts.byChannel[channel] ?? emptyReceiptCounts()) };
    }
    const done = total.sent + total.notSent + total.failed;
    const workflowId = campaignWorkflowId(campaign.id);
    return {
      ...campaign,
      counts: { ...total, ...receipts.total },
      byChannel,
      progress: total.planned === 0 ? 0 : done / total.planned,
      eta: campaign.status === 'Sending' ? eta(campaign, counts.total, recentlyDone) : null,
      brake,
      workflowId,
      workflowUrl: `${this.deps.settings.temporalUiUrl}/namespaces/${this.deps.settings.namespace}/workflows/${workflowId}`,
    };
  }

}

/** The API error for a workflow's refusal of an update, or undefined when `err` is not one. */
export function refusalOf(err: unknown, action: ControlAction, stored: CampaignStatus): Error | undefined {
  if (err instanceof WorkflowNotFoundError) return new InvalidTransitionError(action, stored);
  if (!(err instanceof WorkflowUpdateFailedError) || !(err.cause instanceof ApplicationFailure)) return undefined;
  if (err.cause.type === REFUSED.confirmation) return new ConfirmationError(err.cause.message);
  if (err.cause.type === REFUSED.transition) {
    // The workflow's own words: they also say when another action is under way.
    return new InvalidTransitionError(action, (err.cause.details?.[0] as CampaignStatus | undefined) ?? stored, err.cause.message);
  }
  return undefined;
}

/**
 * The ETA at the rate measured over the last `RATE_WINDOW_SECONDS` (or since the campaign started, if that is
 * shorter); null while nothing has finished in that window.
 */
function eta(campaign: Campaign, total: CampaignCounts['total'], recentlyDone: number, now = new Date()): Eta | null {
  if (recentlyDone === 0) return null;
  const sinceStart = campaign.startedAt ? (now.getTime() - campaign.startedAt.getTime()) / 1000 : RATE_WINDOW_SECONDS;
  const messagesPerSecond = recentlyDone / Math.min(RATE_WINDOW_SECONDS, Math.max(1, sinceStart));
  const left = total.pending;
  const secondsLeft = Math.ceil(left / messagesPerSecond);
  return { messagesPerSecond, secondsLeft, at: new Date(now.getTime() + secondsLeft * 1000) };
}

/**
 * What the Temporal Web UI shows of a campaign's workflow: its name as the summary in the list, its account and
 * channels as details, and the same in the memo (which continue-as-new carries to every later run).
 */
export function uiMetadata(campaign: Pick<Campaign, 'id' | 'name' | 'accountId' | 'channels'>) {
  const channels = campaign.channels.map((c) => c.channel).join(', ');
  return {
    staticSummary: `${campaign.name.replace(/\s+/g, ' ').slice(0, 200)} (${campaign.id})`,
    staticDetails: `**Campaign** ${campaign.name}\n\n**Account** ${campaign.accountId}\n\n**Channels** ${channels}`,
    memo: { campaignName: campaign.name, accountId: campaign.accountId },
  };
}
