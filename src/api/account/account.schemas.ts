/** Account schemas. */
import { z } from 'zod';
import { Timestamp } from '../common/schemas';

/** Body of the emergency brake switch. */
export const BrakeBody = z.object({ on: z.boolean() }).strict().meta({ id: 'BrakeRequest', example: { on: true } });

/** The brake's state: on or off, since when, set by which API key. */
export const BrakeView = z.object({
  on: z.boolean(),
  since: Timestamp.nullable(),
  by: z.string().nullable().describe('The id of the API key that last switched it'),
  byName: z.string().nullable().optional().describe("That API key's name"),
}).meta({ id: 'Brake' });

/** What switching the brake did. */
export const BrakeResultView = BrakeView.extend({
  campaigns: z.array(z.string()),
  skipped: z.array(z.string()),
  errors: z.array(z.object({ campaignId: z.string(), error: z.string() })),
  ms: z.number(),
}).meta({ id: 'BrakeResult' });
