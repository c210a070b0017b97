/** The event stream, read by cursor; and the audit log. */
import { z } from 'zod';
import { BOUNCE_KINDS, EVENT_TYPES } from '../../domain/vocabulary';
import type { Store } from '../../store/store';
import { Limit, NumericCursor, PageOf, Timestamp } from '../common/schemas';
import type { RouteTable } from '../route';

const EventsQuery = z
  .object({
    after: NumericCursor.optional(),
    limit: Limit,
    campaignId: z.string().min(1).optional(),
    type: z.enum(EVENT_TYPES as [string, ...string[]]).optional(),
  })
  .strict();

const EventView = z.object({
  id: z.number().int(),
  type: z.string(),
  campaignId: z.string(),
  contactId: z.string(),
  channel: z.string(),
  reason: z.string().nullable(),
  error: z.string().nullable(),
  /** Receipt events: the provider that reported it. */
  provider: z.string().optional(),
  /** Bounce events: hard or soft. */
  bounce: z.enum(BOUNCE_KINDS).optional(),
  at: Timestamp,
}).meta({ id: 'Event' });

const AuditEntryView = z.object({
  id: z.number().int(),
  actor: z.string().describe('The id of the API key that acted'),
  actorName: z.string().nullable().optional().describe("That API key's name"),
  action: z.string(),
  target: z.string().nullable(),
  result: z.enum(['ok', 'refused', 'error']),
  detail: z.record(z.string(), z.unknown()).nullish(),
  at: Timestamp,
}).meta({ id: 'AuditEntry' });

const AuditQuery = z.object({ after: NumericCursor.optional(), limit: Limit }).strict();

/** Adds the event and audit routes. */
export function eventRoutes(routes: RouteTable, store: Store): void {
  routes.add({
    method: 'get',
    path: '/v1/events',
    operationId: 'listEvents',
    tag: 'events',
    summary: 'Events (message.sent, sms.notSent, ...) after a cursor, oldest first',
    query: EventsQuery,
    response: PageOf(EventView),
    handler: ({ query, principal }) => store.listEvents(principal.accountId, query),
  });
  routes.add({
    method: 'get',
    path: '/v1/audit',
    operationId: 'listAudit',
    tag: 'events',
    summary: 'Audit log: who did what, when, and the result',
    query: AuditQuery,
    response: PageOf(AuditEntryView),
    handler: async ({ query, principal }) => {
      const [page, keys] = await Promise.all([store.listAudit(principal.accountId, query), store.listApiKeys(principal.accountId)]);
      const names = new Map(keys.map((k) => [k.id, k.name]));
      return { ...page, items: page.items.map((e) => ({ ...e, actorName: names.get(e.actor) ?? null })) };
    },
  });
}
