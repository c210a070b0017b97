/** Audience routes. */
import { NotFoundError } from '../../domain/errors';
import type { AudienceDefinition } from '../../domain/types';
import type { Store } from '../../store/store';
import { IdParams } from '../common/schemas';
import type { RouteTable } from '../route';
import { CreateAudienceBody } from './audiences.schemas';

/** Adds the audience routes. */
export function audienceRoutes(routes: RouteTable, store: Store): void {
  routes.add({
    method: 'post',
    path: '/v1/audiences',
    tag: 'audiences',
    summary: 'Create an audience: a list of contact ids, or a filter (all conditions must hold)',
    body: CreateAudienceBody,
    status: 201,
    handler: ({ body, principal }) => {
      const def: AudienceDefinition =
        body.type === 'list' ? { type: 'list', contactIds: body.contactIds } : { type: 'filter', all: body.all };
      return store.createAudience(principal.accountId, body.name, def);
    },
  });
  routes.add({
    method: 'get',
    path: '/v1/audiences',
    tag: 'audiences',
    summary: 'List audiences',
    handler: async ({ principal }) => ({ items: await store.listAudiences(principal.accountId) }),
  });
  routes.add({
    method: 'get',
    path: '/v1/audiences/:id',
    tag: 'audiences',
    summary: 'Get an audience and its current size',
    params: IdParams,
    handler: async ({ params, principal }) =>
      (await store.getAudience(principal.accountId, params.id)) ?? Promise.reject(new NotFoundError('audience', params.id)),
  });
}
