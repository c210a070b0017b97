/** Campaign routes. */
import { IdParams } from '../common/schemas';
import type { RouteTable } from '../route';
import {
  CreateCampaignBody,
  DeliveriesQuery,
  ListCampaignsQuery,
  ScheduleBody,
  UpdateCampaignBody,
} from './campaigns.schemas';
import type { CampaignService } from './campaigns.service';

/** Adds the campaign routes. */
export function campaignRoutes(routes: RouteTable, service: CampaignService): void {
  const tag = 'campaigns';
  routes.add({
    method: 'post', path: '/v1/campaigns', tag, status: 201,
    summary: 'Create a campaign (Draft)',
    body: CreateCampaignBody,
    handler: ({ body, principal }) => service.create(principal, body),
  });
  routes.add({
    method: 'get', path: '/v1/campaigns', tag,
    summary: 'List campaigns, newest first, optionally by status',
    query: ListCampaignsQuery,
    handler: ({ query, principal }) => service.list(principal, query),
  });
  routes.add({
    method: 'get', path: '/v1/campaigns/:id', tag,
    summary: 'Get a campaign with exact counts and its Temporal workflow link',
    params: IdParams,
    handler: ({ params, principal }) => service.get(principal, params.id),
  });
  routes.add({
    method: 'patch', path: '/v1/campaigns/:id', tag,
    summary: 'Edit a Draft',
    params: IdParams,
    body: UpdateCampaignBody,
    handler: ({ params, body, principal }) => service.update(principal, params.id, body),
  });
  routes.add({
    method: 'post', path: '/v1/campaigns/:id/send', tag, status: 202,
    summary: 'Send a Draft now',
    params: IdParams,
    handler: ({ params, principal }) => service.sendNow(principal, params.id),
  });
  routes.add({
    method: 'post', path: '/v1/campaigns/:id/schedule', tag, status: 202,
    summary: 'Schedule a Draft for a UTC time',
    params: IdParams,
    body: ScheduleBody,
    handler: ({ params, body, principal }) => service.schedule(principal, params.id, new Date(body.at)),
  });
  routes.add({
    method: 'get', path: '/v1/campaigns/:id/deliveries', tag,
    summary: "A campaign's deliveries by cursor, optionally by state and channel",
    params: IdParams,
    query: DeliveriesQuery,
    handler: ({ params, query, principal }) => service.deliveries(principal, params.id, query),
  });
}
