/** Campaign use cases: create and edit Drafts, start them now or at a time, and read them with exact counts. */
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import { InvalidInputError, InvalidTransitionError, NotFoundError } from '../../domain/errors';
import type { Campaign } from '../../domain/types';
import type { CampaignStatus } from '../../domain/vocabulary';
import type { campaignWorkflow } from '../../workflows/campaign';
import {
  AccountIdAttribute,
  CampaignStatusAttribute,
  ChannelsAttribute,
  campaignWorkflowId,
} from '../../workflows/definitions';
import type { ApiSettings } from '../../config';
import type { CampaignCounts, NewCampaign, Principal, Store } from '../../store/store';

/** What the campaign service needs. */
export interface CampaignServiceDeps {
  store: Store;
  temporal: Client;
  settings: ApiSettings;
}

/** A campaign as the API returns it: stored fields, exact counts, and where to watch it in Temporal. */
export type CampaignView = Campaign & {
  counts: CampaignCounts['total'];
  byChannel: CampaignCounts['byChannel'];
  progress: number;
  workflowId: string;
  workflowUrl: string;
};

/** Campaign operations, each scoped to the caller's account and written to the audit log. */
export class CampaignService {
  constructor(private readonly deps: CampaignServiceDeps) {}

  async create(principal: Principal, input: NewCampaign): Promise<CampaignView> {
    await this.requireAudience(principal, input.audienceId);
    const campaign = await this.deps.store.createCampaign(principal.accountId, input);
    await this.audit(principal, 'campaign.create', campaign.id, 'ok');
    return this.view(campaign);
  }

  async update(principal: Principal, id: string, patch: Partial<NewCampaign>): Promise<CampaignView> {
    if (patch.audienceId) await this.requireAudience(principal, patch.audienceId);
    const updated = await this.deps.store.updateCampaign(principal.accountId, id, ['Draft'], patch);
    if (!updated) return this.refuse(principal, id, 'update');
    await this.audit(principal, 'campaign.update', id, 'ok');
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

  async get(principal: Principal, id: string): Promise<CampaignView> {
    return this.view(await this.require(principal, id));
  }

  async list(principal: Principal, query: { status?: CampaignStatus; after?: string; limit: number }) {
    const page = await this.deps.store.listCampaigns(principal.accountId, query);
    const counts = await this.deps.store.countDeliveriesOf(page.items.map((c) => c.id));
    return { items: page.items.map((c) => this.toView(c, counts.get(c.id)!)), next: page.next };
  }

  async deliveries(principal: Principal, id: string, query: Parameters<Store['listDeliveries']>[1]) {
    await this.require(principal, id);
    return this.deps.store.listDeliveries(id, query);
  }

  private async start(principal: Principal, id: string, status: CampaignStatus, at: Date | undefined): Promise<CampaignView> {
    const { store, temporal } = this.deps;
    const action = at ? 'schedule' : 'send';
    // The conditional update is the guard: of two concurrent sends, one wins and the other gets 409.
    const campaign = await store.updateCampaign(principal.accountId, id, ['Draft'], { status, scheduledAt: at ?? null });
    if (!campaign) return this.refuse(principal, id, action);
    try {
      await temporal.workflow.start<typeof campaignWorkflow>('campaignWorkflow', {
        taskQueue: this.deps.settings.taskQueue,
        workflowId: campaignWorkflowId(id),
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
        args: [
          {
            campaignId: id,
            accountId: principal.accountId,
            channels: campaign.channels.map((c) => c.channel),
            ...(at ? { scheduledAt: at.toISOString() } : {}),
            options: this.deps.settings.sendOptions,
          },
        ],
        typedSearchAttributes: [
          { key: CampaignStatusAttribute, value: status },
          { key: AccountIdAttribute, value: principal.accountId },
          { key: ChannelsAttribute, value: campaign.channels.map((c) => c.channel) },
        ],
      });
    } catch (err) {
      await store.updateCampaign(principal.accountId, id, [status], { status: 'Draft', scheduledAt: null });
      await this.audit(principal, `campaign.${action}`, id, 'error', { error: (err as Error).message });
      throw err;
    }
    await this.audit(principal, `campaign.${action}`, id, 'ok', at ? { at: at.toISOString() } : undefined);
    return this.view(campaign);
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
    await this.audit(principal, `campaign.${action}`, id, 'refused', { status: current.status });
    throw new InvalidTransitionError(action, current.status);
  }

  private async view(campaign: Campaign): Promise<CampaignView> {
    return this.toView(campaign, await this.deps.store.countDeliveries(campaign.id));
  }

  private toView(campaign: Campaign, counts: CampaignCounts): CampaignView {
    const { total } = counts;
    const done = total.sent + total.notSent + total.failed;
    const workflowId = campaignWorkflowId(campaign.id);
    return {
      ...campaign,
      counts: total,
      byChannel: counts.byChannel,
      progress: total.planned === 0 ? 0 : done / total.planned,
      workflowId,
      workflowUrl: `${this.deps.settings.temporalUiUrl}/namespaces/${this.deps.settings.namespace}/workflows/${workflowId}`,
    };
  }

  private audit(principal: Principal, action: string, target: string, result: 'ok' | 'refused' | 'error', detail?: Record<string, unknown>) {
    return this.deps.store.audit(principal.accountId, { actor: principal.keyId, action, target, result, ...(detail ? { detail } : {}) });
  }
}
