/**
 * The campaign workflow's public contract: ids, task queue, search attributes, queries and their types.
 * The workflow, the API and backend services all import this module (it has no Node or worker imports).
 */
import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery } from '@temporalio/workflow';
import type { CampaignStatus, Channel } from '../domain/vocabulary';

/** The task queue campaign workflows and their activities run on. */
export const TASK_QUEUE = 'herald-campaigns';

/** The workflow type name, for clients that start campaigns by name. */
export const CAMPAIGN_WORKFLOW_TYPE = 'campaignWorkflow';

/** The readable workflow id of a campaign: `campaign-<id>`. */
export function campaignWorkflowId(campaignId: string): string {
  return `campaign-${campaignId}`;
}

/** Search attribute: the campaign's status, kept current by the workflow. */
export const CampaignStatusAttribute = defineSearchAttributeKey('CampaignStatus', 'KEYWORD');
/** Search attribute: the owning account. */
export const AccountIdAttribute = defineSearchAttributeKey('AccountId', 'KEYWORD');
/** Search attribute: the campaign's channels. */
export const ChannelsAttribute = defineSearchAttributeKey('Channels', 'KEYWORD_LIST');
/** Every search attribute Herald registers on the namespace. */
export const SEARCH_ATTRIBUTES = [CampaignStatusAttribute, AccountIdAttribute, ChannelsAttribute] as const;

/** Tuning for one campaign run. */
export interface SendOptions {
  /** Deliveries per send activity. */
  batchSize: number;
  /** Send activities in flight at once. */
  concurrency: number;
  /** Contacts per audience page when planning. */
  pageSize: number;
}

/** Defaults for SendOptions. */
export const DEFAULT_SEND_OPTIONS: SendOptions = { batchSize: 500, concurrency: 4, pageSize: 5000 };

/** Progress counters the workflow keeps (never recipient lists). */
export interface CampaignTally {
  planned: number;
  sent: number;
  failed: number;
  notSent: number;
  batches: number;
}

/** Where a run stands; carried across continue-as-new. */
export interface CampaignRunState {
  phase: 'scheduled' | 'planning' | 'sending' | 'done';
  status: CampaignStatus;
  /** Audience cursor: the last contact key planned. */
  cursor: number;
  tally: CampaignTally;
  /** How many times this campaign continued as new. */
  generation: number;
}

/** Input of the campaign workflow. */
export interface CampaignWorkflowInput {
  campaignId: string;
  accountId: string;
  channels: Channel[];
  /** ISO time to start at; absent means now. */
  scheduledAt?: string;
  options?: Partial<SendOptions>;
  /** Set only by continue-as-new. */
  carried?: CampaignRunState;
}

/** Final result of a campaign run. */
export interface CampaignResult {
  status: CampaignStatus;
  tally: CampaignTally;
  error?: string;
}

/** What the progress query returns. */
export interface CampaignProgress extends CampaignRunState {
  campaignId: string;
  scheduledAt: string | null;
  inFlightBatches: number;
}

/** Query: status, counters and phase of a campaign. */
export const progressQuery = defineQuery<CampaignProgress>('progress');
