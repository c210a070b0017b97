/** Campaign schemas. Templates are parsed here, so a broken one is refused at Draft time. */
import { z } from 'zod';
import { BOUNCE_KINDS, CAMPAIGN_STATUSES, CHANNELS, DELIVERY_STATES, FATE_OUTCOMES, RECEIPT_OUTCOMES } from '../../domain/vocabulary';
import { checkTemplate } from '../../templates';
import { BrakeView } from '../account/account.schemas';
import { BooleanQuery, Limit, NumericCursor, Timestamp } from '../common/schemas';

/** What is wrong with a template, for the 400's message. */
function templateProblem(err: Error): string {
  if (/limit exceeded/i.test(err.message)) return `template exceeds the render limits (time or memory): ${err.message}`;
  if (/ is not allowed: /.test(err.message)) return `template refused: ${err.message}`;
  return `template does not parse: ${err.message}`;
}

const template = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .superRefine((source, ctx) => {
      try {
        checkTemplate(source);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: templateProblem(err as Error) });
      }
    });

const ChannelContentInput = z
  .object({
    channel: z.enum(CHANNELS),
    subject: template(998).optional(),
    body: template(100_000),
    /** Email only: an HTML part beside the plain body. */
    html: template(500_000).optional(),
    /** Rendered for a `contact.*` variable the contact does not have (default: nothing). */
    fallback: z.string().max(200).optional(),
  })
  .strict()
  .refine((c) => c.channel !== 'email' || c.subject !== undefined, {
    message: 'required for the email channel',
    path: ['subject'],
  })
  .refine((c) => c.channel === 'email' || c.html === undefined, { message: 'only the email channel has an HTML part', path: ['html'] });

const Channels = z
  .array(ChannelContentInput)
  .min(1)
  .max(CHANNELS.length)
  .refine((list) => new Set(list.map((c) => c.channel)).size === list.length, 'each channel may appear once');

const LocalTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/, 'must be a time of day HH:MM or HH:MM:SS (24-hour)');

const Throttle = z
  .object({
    limit: z.number().int().min(1).max(1_000_000),
    periodSeconds: z.number().int().min(1).max(7 * 86_400),
  })
  .strict();

const EndAt = z.iso.datetime({ offset: true }).refine((at) => Date.parse(at) > Date.now(), 'must be in the future');

const CampaignFields = {
  name: z.string().min(1).max(200),
  audienceId: z.string().min(1).max(100),
  channels: Channels,
  /** Deliver at this time of day in each recipient's timezone (UTC when the contact has none). */
  localTime: LocalTime.nullish(),
  /** At most `limit` messages per `periodSeconds`. */
  throttle: Throttle.nullish(),
  /** Nothing is sent after this time; the rest becomes notSent(end_date_passed). */
  endAt: EndAt.nullish(),
  /**
   * When the campaign goes on (resume, release), send messages in doubt (handed to a provider, no answer) again to
   * every provider: at-least-once. Off by default: they are resent only to providers that honour the idempotency key.
   */
  resendInDoubt: z.boolean().optional(),
};

/** Body of campaign creation: a Draft. */
export const CreateCampaignBody = z
  .object(CampaignFields)
  .strict()
  .meta({
    id: 'CreateCampaign',
    example: {
      name: 'Spring sale',
      audienceId: 'aud_5k2m9q1x7p',
      channels: [{ channel: 'email', subject: 'Hello {{ contact.attributes.firstName }}', body: 'Our spring sale starts today.' }],
      localTime: '09:00',
      throttle: { limit: 1000, periodSeconds: 60 },
      endAt: '2027-04-30T00:00:00Z',
    },
  });

/** Body of a Draft update: any of the creation fields (null clears local time, throttle or end date). */
export const UpdateCampaignBody = z
  .object(CampaignFields)
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'give at least one field to change')
  .meta({ id: 'UpdateCampaign', example: { name: 'Spring sale (final)', localTime: null } });

/** Body of the emergency stop: the campaign id typed again. */
export const StopBody = z.object({ confirmation: z.string().max(200) }).strict().meta({ id: 'StopRequest', example: { confirmation: 'cmp_6ykfv3dmdc' } });

/** Body of cancel: a started campaign is stopped, which needs the confirmation. */
export const CancelBody = z.object({ confirmation: z.string().max(200).optional() }).strict().meta({ id: 'CancelRequest' });

/** Body of scheduling: an ISO time with offset, in the future. */
export const ScheduleBody = z
  .object({
    at: z.iso
      .datetime({ offset: true })
      .refine((at) => Date.parse(at) > Date.now(), 'must be in the future'),
  })
  .strict()
  .meta({ id: 'ScheduleRequest', example: { at: '2027-04-01T09:00:00Z' } });

/** Query of the campaign list. */
export const ListCampaignsQuery = z
  .object({
    status: z.enum(CAMPAIGN_STATUSES).optional(),
    /** Deleted planned campaigns are left out of lists unless asked for. */
    includeDeleted: BooleanQuery.optional(),
    after: z.string().max(500).optional(),
    limit: Limit,
  })
  .strict();

/** Query of the planned sends: in-progress campaigns, and with `scheduled` (default true) future schedules too. */
export const PlannedQuery = z.object({ scheduled: BooleanQuery.default(true) }).strict();

/** Query of a planned campaign's deletion: the campaign id typed again. */
export const DeletePlannedQuery = z.object({ confirmation: z.string().max(200) }).strict();

/** Query of a campaign's deliveries. */
export const DeliveriesQuery = z
  .object({
    state: z.enum(DELIVERY_STATES).optional(),
    channel: z.enum(CHANNELS).optional(),
    /** What providers reported: delivered, undelivered, bounced, complained, unsubscribed, or awaiting (sent, nothing yet). */
    outcome: z.enum([...RECEIPT_OUTCOMES, 'awaiting']).optional(),
    after: NumericCursor.optional(),
    limit: Limit,
  })
  .strict();

/** Body of a preview of content not saved yet (a campaign being written): the contact, and the channels' templates. */
export const PreviewContentBody = z
  .object({ contactId: z.string().min(1).max(200), channels: Channels })
  .strict()
  .meta({ id: 'PreviewContentRequest', example: { contactId: 'c-1001', channels: [{ channel: 'email', subject: 'Hi {{ contact.attributes.firstName }}', body: 'Hello' }] } });

/** Body of a preview: the contact to render for. */
export const PreviewBody = z.object({ contactId: z.string().min(1).max(200) }).strict().meta({ id: 'PreviewRequest', example: { contactId: 'c-1001' } });

const Counts = z.object({
  planned: z.number().int(),
  pending: z.number().int(),
  sent: z.number().int(),
  notSent: z.number().int(),
  failed: z.number().int(),
  /** Handed to a provider with no answer (a worker lost mid-call, a timeout): maybe delivered, never resent by a stop. */
  inDoubt: z.number().int(),
}).meta({ id: 'DeliveryCounts', example: { planned: 4000, pending: 0, sent: 230, notSent: 3770, failed: 0, inDoubt: 0 } });
const ByChannel = z.partialRecord(z.enum(CHANNELS), Counts);

/**
 * Counts with what providers reported after sent: deliveries by their latest receipt (sent = delivered +
 * undelivered + bounced + awaiting a receipt), and how many recipients complained or unsubscribed.
 */
const CountsWithReceipts = Counts.extend({
  delivered: z.number().int(),
  undelivered: z.number().int(),
  bounced: z.number().int(),
  complained: z.number().int(),
  unsubscribed: z.number().int(),
});
const ByChannelWithReceipts = z.partialRecord(z.enum(CHANNELS), CountsWithReceipts);

/** A campaign as the API answers it: stored fields, exact counts, the brake and its workflow. */
export const CampaignView = z.object({
  id: z.string(),
  accountId: z.string(),
  name: z.string(),
  status: z.enum(CAMPAIGN_STATUSES),
  audienceId: z.string(),
  channels: z.array(
    z.object({ channel: z.enum(CHANNELS), subject: z.string().optional(), body: z.string(), html: z.string().optional(), fallback: z.string().optional() }),
  ),
  scheduledAt: Timestamp.nullable(),
  localTime: z.string().nullable(),
  throttle: z.object({ limit: z.number().int(), periodSeconds: z.number().int() }).nullable(),
  endAt: Timestamp.nullable(),
  excludeSentOf: z.array(z.string()),
  resendInDoubt: z.boolean(),
  copiedFrom: z.string().nullable(),
  heldByBrake: z.boolean(),
  deletedAt: Timestamp.nullable(),
  startedAt: Timestamp.nullable(),
  finishedAt: Timestamp.nullable(),
  error: z.string().nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  counts: CountsWithReceipts,
  byChannel: ByChannelWithReceipts,
  progress: z.number(),
  /** While sending: the rate of the last 10 s and when the pending deliveries should be done at that rate. */
  eta: z.object({ messagesPerSecond: z.number(), secondsLeft: z.number().int(), at: Timestamp }).nullable(),
  brake: BrakeView,
  workflowId: z.string(),
  workflowUrl: z.string(),
}).meta({ id: 'Campaign' });

/** A campaign in the planned sends: with when its next delivery is due. */
export const PlannedView = CampaignView.extend({ nextPlannedAt: Timestamp.nullable() }).meta({ id: 'PlannedCampaign' });

/** What a stop, cancel or delete did, step by step, and the counts it left. */
export const ControlReportView = z.object({
  campaignId: z.string(),
  action: z.enum(['stop', 'cancel', 'delete']),
  requestedBy: z.string().describe('The id of the API key that asked (or `temporal` for an operator in the Temporal UI)'),
  requestedByName: z.string().nullable().optional().describe("That API key's name, when it is a key of the account"),
  requestedAt: z.string(),
  /** When it answered: nothing could leave any more, and `counts` were final. */
  answeredAt: z.string(),
  /** When its last step ended; null while the compensation after the answer still runs. */
  completedAt: z.string().nullable(),
  from: z.enum(CAMPAIGN_STATUSES),
  steps: z.array(
    z.object({
      step: z.string(),
      at: z.string(),
      result: z.string(),
      counts: z.record(z.string(), z.number()).optional(),
      /** A step that takes a while: how far it is, and when it ended (absent while it runs). */
      done: z.number().int().optional(),
      total: z.number().int().optional(),
      endedAt: z.string().optional(),
    }),
  ),
  counts: Counts,
  byChannel: ByChannel,
}).meta({ id: 'ControlReport' });

/** A delivery row as the API answers it. */
export const DeliveryView = z.object({
  id: z.number().int(),
  contactId: z.string(),
  channel: z.enum(CHANNELS),
  state: z.enum(DELIVERY_STATES),
  reason: z.string().nullable(),
  error: z.string().nullable(),
  providerMessageId: z.string().nullable(),
  /** The provider's last known status of the message (e.g. `queued`), when it said one. */
  providerStatus: z.string().nullable(),
  /** inDoubt: when it was handed to the provider. */
  handedAt: Timestamp.nullable(),
  updatedAt: Timestamp,
  /** What the provider reported after sent, or null while nothing came. */
  receipt: z
    .object({
      outcome: z.enum(FATE_OUTCOMES).nullable(),
      bounce: z.enum(BOUNCE_KINDS).nullable(),
      reason: z.string().nullable(),
      provider: z.string().nullable(),
      at: Timestamp.nullable(),
      complainedAt: Timestamp.nullable(),
      unsubscribedAt: Timestamp.nullable(),
    })
    .nullable()
    .optional(),
}).meta({ id: 'Delivery' });

/** Each channel rendered for one contact (or the render error of a channel). */
export const PreviewView = z.object({
  contactId: z.string(),
  channels: z.array(
    z.object({ channel: z.enum(CHANNELS), subject: z.string().optional(), body: z.string().optional(), html: z.string().optional(), error: z.string().optional() }),
  ),
}).meta({ id: 'Preview' });
