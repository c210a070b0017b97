/**
 * The campaign workflow's public contract: ids, task queue, search attributes, queries and their types.
 * The workflow, the API and backend services all import this module (it has no Node or worker imports).
 */
import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ControlReport, Throttle } from '../domain/types';
import type { CampaignStatus, Channel, ControlAction } from '../domain/vocabulary';

/** The task queue campaign workflows and their activities run on. */
export const TASK_QUEUE = 'herald-campaigns';

/** The workflow type name, for clients that start campaigns by name. */
export const CAMPAIGN_WORKFLOW_TYPE = 'campaignWorkflow';

/** The readable workflow id of a campaign: `campaign-<id>`. */
export function campaignWorkflowId(campaignId: string): string {
  return `campaign-${campaignId}`;
}

/** The campaign id inside a campaign workflow's id, or undefined for another workflow. */
export function campaignIdOf(workflowId: string): string | undefined {
  return workflowId.startsWith('campaign-') ? workflowId.slice('campaign-'.length) : undefined;
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

/** The throttle window being sent: when it opened and how many deliveries it had handed when it did. */
export interface ThrottleWindow {
  /** Epoch ms. */
  openedAt: number;
  /** sent + failed when the window opened; the window's use is the growth of that sum. */
  doneAtOpen: number;
  used: number;
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
  /** ISO time sending started: deliveries are due from then (local-time campaigns: from then on, per timezone). */
  startedAt?: string;
  throttle?: Throttle | null;
  endAt?: string | null;
  window?: ThrottleWindow;
  /** The account brake holds the campaign (Paused, or Scheduled past its time) until it is released. */
  heldByBrake?: boolean;
  /** Set by a brake release: pending deliveries planned before this ISO time become notSent(brake_expired). */
  expireBefore?: string;
}

/** Input of the campaign workflow. */
export interface CampaignWorkflowInput {
  campaignId: string;
  accountId: string;
  channels: Channel[];
  /** ISO time to start at; absent means now. */
  scheduledAt?: string;
  options?: Partial<SendOptions>;
  /** Set only by continue-as-new, or to reopen a Finished campaign for a stop (see `reopenForStop`). */
  carried?: CampaignRunState;
}

/** Final result of a campaign run. */
export interface CampaignResult {
  status: CampaignStatus;
  tally: CampaignTally;
  error?: string;
}

/** What the progress query and the pause, resume and unschedule updates return. */
export interface CampaignProgress extends CampaignRunState {
  campaignId: string;
  scheduledAt: string | null;
  inFlightBatches: number;
  /** A control action the workflow is carrying out, if any. */
  pending: ControlAction | null;
}

/** Who asks for a control action, for the report and the audit log (an API key id, or an operator's name). */
export interface ControlInput {
  requestedBy?: string;
}

/** Input of the emergency stop: the campaign id typed again, as confirmation. */
export interface StopInput extends ControlInput {
  confirmation: string;
}

/** Input of the brake's release: deliveries planned before `expireBefore` (ISO) are not sent. */
export interface ReleaseInput extends ControlInput {
  expireBefore: string;
}

/** Failure types an update's validator refuses with; the API maps them to 409 and 422. */
export const REFUSED = { transition: 'InvalidTransition', confirmation: 'ConfirmationMismatch' } as const;

/** Query: status, counters and phase of a campaign. */
export const progressQuery = defineQuery<CampaignProgress>('progress');
/** Query: the report of the stop or cancel, once there is one. */
export const reportQuery = defineQuery<ControlReport | null>('report');

/** Update: Sending -> Paused. Returns once nothing more can leave (no chunk on the wire, no handover possible). */
export const pauseUpdate = defineUpdate<CampaignProgress, [ControlInput]>('pause');
/** Update: Paused -> Sending. Re-reads the audience; returns once sending has restarted. */
export const resumeUpdate = defineUpdate<CampaignProgress, [ControlInput]>('resume');
/**
 * Update: emergency stop from Sending, Paused or Finished. Refused unless `confirmation` is the campaign id.
 * Returns once nothing more can leave, with exact counts (the rest of the compensation follows): the report.
 */
export const stopUpdate = defineUpdate<ControlReport, [StopInput]>('stop');
/** Update: Scheduled -> Cancelled; everyone becomes notSent(cancelled). Returns the report. */
export const cancelUpdate = defineUpdate<ControlReport, [ControlInput]>('cancel');
/** Update: Scheduled -> Draft; the workflow ends and the campaign can be edited and scheduled again. */
export const unscheduleUpdate = defineUpdate<CampaignProgress, [ControlInput]>('unschedule');
/**
 * Update: the account's emergency brake holds a Sending campaign: Sending -> Paused (held by the brake). Returns
 * once nothing more can leave. Sends also check the brake before every batch, so a campaign this update
 * does not reach holds itself at its next batch.
 */
export const brakeUpdate = defineUpdate<CampaignProgress, [ControlInput]>('brake');
/**
 * Update: the brake is released: a campaign it holds goes on (Paused -> Sending, or a held Scheduled one starts),
 * and its deliveries planned before `expireBefore` become notSent(brake_expired). Refused for campaigns the brake
 * does not hold (paused by hand).
 */
export const releaseUpdate = defineUpdate<CampaignProgress, [ReleaseInput]>('release');
/**
 * Update: deletes a planned campaign (Scheduled, Sending or Paused): like a stop, and its unsent deliveries become
 * notSent(deleted); the campaign leaves the lists. `confirmation` must be the campaign id. Returns the report.
 */
export const deleteUpdate = defineUpdate<ControlReport, [StopInput]>('delete');

/**
 * Start arguments that reopen a Finished campaign whose workflow has closed, so a stop can still reach what
 * providers hold: pass them with `stopUpdate` to update-with-start (conflict policy USE_EXISTING).
 */
export function reopenForStop(input: Pick<CampaignWorkflowInput, 'campaignId' | 'accountId' | 'channels'>): CampaignWorkflowInput {
  return {
    ...input,
    carried: {
      phase: 'done',
      status: 'Finished',
      cursor: 0,
      tally: { planned: 0, sent: 0, failed: 0, notSent: 0, batches: 0 },
      generation: 0,
    },
  };
}
