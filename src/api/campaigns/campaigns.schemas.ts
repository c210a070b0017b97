/** Campaign schemas. Templates are parsed here, so a broken one is refused at Draft time. */
import { z } from 'zod';
import { CAMPAIGN_STATUSES, CHANNELS, DELIVERY_STATES } from '../../domain/vocabulary';
import { parseTemplate } from '../../templates';
import { Limit, NumericCursor } from '../common/schemas';

const template = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .superRefine((source, ctx) => {
      try {
        parseTemplate(source);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `template does not parse: ${(err as Error).message}` });
      }
    });

const ChannelContentInput = z
  .object({ channel: z.enum(CHANNELS), subject: template(998).optional(), body: template(100_000) })
  .strict()
  .refine((c) => c.channel !== 'email' || c.subject !== undefined, {
    message: 'required for the email channel',
    path: ['subject'],
  });

const Channels = z
  .array(ChannelContentInput)
  .min(1)
  .max(CHANNELS.length)
  .refine((list) => new Set(list.map((c) => c.channel)).size === list.length, 'each channel may appear once');

/** Body of campaign creation: a Draft. */
export const CreateCampaignBody = z
  .object({ name: z.string().min(1).max(200), audienceId: z.string().min(1).max(100), channels: Channels })
  .strict();

/** Body of a Draft update: any of the creation fields. */
export const UpdateCampaignBody = CreateCampaignBody.partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'give at least one of name, audienceId, channels');

/** Body of scheduling: an ISO time with offset, in the future. */
export const ScheduleBody = z
  .object({
    at: z.iso
      .datetime({ offset: true })
      .refine((at) => Date.parse(at) > Date.now(), 'must be in the future'),
  })
  .strict();

/** Query of the campaign list. */
export const ListCampaignsQuery = z
  .object({ status: z.enum(CAMPAIGN_STATUSES).optional(), after: z.string().max(500).optional(), limit: Limit })
  .strict();

/** Query of a campaign's deliveries. */
export const DeliveriesQuery = z
  .object({
    state: z.enum(DELIVERY_STATES).optional(),
    channel: z.enum(CHANNELS).optional(),
    after: NumericCursor.optional(),
    limit: Limit,
  })
  .strict();
