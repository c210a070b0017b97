/** Contact routes: bulk import, list, get. */
import { z } from 'zod';
import { NotFoundError } from '../../domain/errors';
import type { Contact } from '../../domain/types';
import type { Store } from '../../store/store';
import { IdParams, PageOf } from '../common/schemas';
import type { RouteTable } from '../route';
import { ContactView, ImportContactsBody, ListContactsQuery } from './contacts.schemas';

/** The largest contact import body. */
export const IMPORT_BODY_LIMIT_BYTES = 20 * 1024 * 1024;

/** Adds the contact routes. */
export function contactRoutes(routes: RouteTable, store: Store): void {
  routes.add({
    method: 'post',
    path: '/v1/contacts',
    operationId: 'importContacts',
    tag: 'contacts',
    summary: 'Import up to 10,000 contacts (insert or replace by id); the body may be up to 20 MB',
    body: ImportContactsBody,
    // 10,000 contacts with a few attributes each are 1 to 3 MB; room for rich attributes and push tokens.
    bodyLimitBytes: IMPORT_BODY_LIMIT_BYTES,
    response: z.object({ imported: z.number().int() }),
    handler: async ({ body, principal }) => ({
      imported: await store.upsertContacts(principal.accountId, body.contacts as Contact[]),
    }),
  });
  routes.add({
    method: 'get',
    path: '/v1/contacts',
    operationId: 'listContacts',
    tag: 'contacts',
    summary: 'List contacts by cursor',
    query: ListContactsQuery,
    response: PageOf(ContactView),
    handler: ({ query, principal }) => store.listContacts(principal.accountId, query),
  });
  routes.add({
    method: 'get',
    path: '/v1/contacts/:id',
    operationId: 'getContact',
    tag: 'contacts',
    summary: 'Get one contact, with each suppressed channel and its cause (hard bounce, complaint, unsubscribe)',
    params: IdParams,
    response: ContactView,
    handler: async ({ params, principal }) => {
      const contact = await store.getContact(principal.accountId, params.id);
      if (!contact) throw new NotFoundError('contact', params.id);
      return { ...contact, suppressions: await store.receipts.suppressions(principal.accountId, params.id) };
    },
  });
}
