/** Audience routes. */
import { NotFoundError } from '../../domain/errors';
import type { AudienceDefinition } from '../../domain/types';
import type { Store } from '../../store/store';
import { IdParams } from '../common/schemas';
import type { RouteTable } from '../route';
import { AudienceList, AudienceView, CreateAudienceBody } from './audiences.schemas';
import { IMPORT_BODY_LIMIT_BYTES } from '../contacts/contacts.routes';

/** Adds the audience routes. */
export function audienceRoutes(routes: RouteTable, store: Store): void {
  routes.add({
    method: 'post',
    path: '/v1/audiences',
    operationId: 'createAudience',
    tag: 'audiences',
    summary: 'Create an audience: a list of contact ids, or a filter (every term of all must hold; an any group holds when one of its conditions does)',
    body: CreateAudienceBody,
    status: 201,
    // A list audience holds up to 100,000 contact ids: as large as a contact import.
    bodyLimitBytes: IMPORT_BODY_LIMIT_BYTES,
    response: AudienceView,
    handler: ({ body, principal }) => {
      const def: AudienceDefinition =
        body.type === 'list'
          ? { type: 'list', contactIds: body.contactIds }
          : { type: 'filter', all: body.any ? [...body.all, { any: body.any }] : body.all };
      return store.createAudience(principal.accountId, body.name, def);
    },
  });
  routes.add({
    method: 'get',
    path: '/v1/audiences',
    operationId: 'listAudiences',
    tag: 'audiences',
    summary: 'List audiences',
    response: AudienceList,
    handler: async ({ principal }) => ({ items: await store.listAudiences(principal.accountId) }),
  });
  routes.add({
    method: 'get',
    path: '/v1/audiences/:id',
    operationId: 'getAudience',
    tag: 'audiences',
    summary: 'Get an audience and its current size',
    params: IdParams,
    response: AudienceView,
    handler: async ({ params, principal }) =>
      (await store.getAudience(principal.accountId, params.id)) ?? Promise.reject(new NotFoundError('audience', params.id)),
  });
}
