/** Campaign routes. */
import { z } from 'zod';
import { IdParams, PageOf } from '../common/schemas';
import type { RouteTable } from '../route';
import {
  CampaignView,
  CancelBody,
  ControlReportView,
  DeliveryView,
  PlannedView,
  PreviewView,
  CreateCampaignBody,
  DeletePlannedQuery,
  DeliveriesQuery,
  ListCampaignsQuery,
  PlannedQuery,
  PreviewBody,
  PreviewContentBody,
  ScheduleBody,
  StopBody,
  UpdateCampaignBody,
} from './campaigns.schemas';
import type { CampaignService } from './campaigns.service';

/**
 * The largest campaign create or edit body: four channels at their template limits (an HTML part up to
 * 500,000 characters, bodies up to 100,000) fit, in any script.
 */
export const CAMPAIGN_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

/** Adds the campaign routes. */
export function campaignRoutes(routes: RouteTable, service: CampaignService): void {
  const tag = 'campaigns';
  routes.add({
    method: 'post', path: '/v1/campaigns', operationId: 'createCampaign', tag, status: 201,
    summary: 'Create a campaign (Draft)',
    body: CreateCampaignBody,
    bodyLimitBytes: CAMPAIGN_BODY_LIMIT_BYTES,
    response: CampaignView,
    handler: ({ body, principal }) => service.create(principal, withDates(body)),
  });
  routes.add({
    method: 'get', path: '/v1/campaigns', operationId: 'listCampaigns', tag,
    summary: 'List campaigns, newest first, optionally by status',
    query: ListCampaignsQuery,
    response: PageOf(CampaignView),
    handler: ({ query, principal }) => service.list(principal, query),
  });
  routes.add({
    method: 'get', path: '/v1/campaigns/:id', operationId: 'getCampaign', tag,
    summary: 'Get a campaign with exact counts and its Temporal workflow link',
    params: IdParams,
    response: CampaignView,
    handler: ({ params, principal }) => service.get(principal, params.id),
  });
  routes.add({
    method: 'patch', path: '/v1/campaigns/:id', operationId: 'updateCampaign', tag,
    summary: 'Edit a Draft',
    params: IdParams,
    body: UpdateCampaignBody,
    bodyLimitBytes: CAMPAIGN_BODY_LIMIT_BYTES,
    response: CampaignView,
    handler: ({ params, body, principal }) => service.update(principal, params.id, withDates(body)),
  });
  routes.add({
    method: 'post', path: '/v1/campaigns/:id/send', operationId: 'sendCampaign', tag, status: 202,
    summary: 'Send a Draft now',
    params: IdParams,
    response: CampaignView,
    handler: ({ params, principal }) => service.sendNow(principal, params.id),
  });
  routes.add({
    method: 'post', path: '/v1/campaigns/:id/schedule', operationId: 'scheduleCampaign', tag, status: 202,
    summary: 'Schedule a Draft for a UTC time',
    params: IdParams,
    body: ScheduleBody,
    response: CampaignView,
    handler: ({ params, body, principal }) => service.schedule(principal, params.id, new Date(body.at)),
  });
  routes.add({
    method: 'post', path: '/v1/campaigns/:id/preview', operationId: 'previewCampaign', tag,
    summary: "Render each channel's templates for one contact, as it would be sent",
    params: IdParams,
    body: PreviewBody,
    response: PreviewView,
    handler: ({ params, body, principal }) => service.preview(principal, params.id, body.contactId),
  });
  routes.add({
    method: 'post', path: '/v1/preview', operationId: 'previewContent', tag, scope: 'read',
    summary: "Render templates not saved yet (a campaign being written) for one contact, as they would be sent",
    body: PreviewContentBody,
    bodyLimitBytes: CAMPAIGN_BODY_LIMIT_BYTES,
    response: PreviewView,
    handler: ({ body, principal }) => service.previewContent(principal, body.contactId, body.channels),
  });
  routes.add({
    method: 'post', path: '/v1/campaigns/:id/pause', operationId: 'pauseCampaign', tag,
    summary: 'Pause a Sending campaign: returns once no message of it can leave',
    params: IdParams,
    response: CampaignView,
    handler: ({ params, principal }) => service.pause(principal, params.id),
  });
  routes.add({
    method: 'post', path: '/v1/campaigns/:id/resume', operationId: 'resumeCampaign', tag,
    summary: 'Resume a Paused campaign: the audience is read again, nobody gets it twice',
    params: IdParams,
    response: CampaignView,
    handler: ({ params, principal }) => service.resume(principal, params.id),
  });
  routes.add({
    method: 'post', path: '/v1/campaigns/:id/stop', operationId: 'stopCampaign', tag,
    summary: 'Emergency stop (Sending, Paused or Finished): type the campaign id as confirmation; returns the report',
    params: IdParams,
    body: StopBody,
    response: ControlReportView,
    handler: ({ params, body, principal }) => service.stop(principal, params.id, body.confirmation),
  });
  routes.add({
    method: 'post', path: '/v1/campaigns/:id/cancel', operationId: 'cancelCampaign', tag,
    summary: 'Cancel a Scheduled campaign (everyone notSent cancelled); a started one is stopped (confirmation needed)',
    params: IdParams,
    body: CancelBody,
    response: ControlReportView,
    handler: ({ params, body, principal }) => service.cancel(principal, params.id, body.confirmation),
  });
  routes.add({
    method: 'post', path: '/v1/campaigns/:id/unschedule', operationId: 'unscheduleCampaign', tag,
    summary: 'Unschedule a Scheduled campaign: back to an editable Draft',
    params: IdParams,
    response: CampaignView,
    handler: ({ params, principal }) => service.unschedule(principal, params.id),
  });
  routes.add({
    method: 'post', path: '/v1/campaigns/:id/copy', operationId: 'copyCampaign', tag, status: 201,
    summary: 'Copy as draft: same content, audience without everyone the original was sent to',
    params: IdParams,
    response: CampaignView,
    handler: ({ params, principal }) => service.copy(principal, params.id),
  });
  routes.add({
    method: 'get', path: '/v1/campaigns/:id/report', operationId: 'getCampaignReport', tag,
    summary: 'The report of a stop or cancel: each step with its time and result, and the final counts',
    params: IdParams,
    response: ControlReportView,
    handler: ({ params, principal }) => service.report(principal, params.id),
  });
  routes.add({
    method: 'get', path: '/v1/campaigns/:id/deliveries', operationId: 'listDeliveries', tag,
    summary: "A campaign's deliveries by cursor, optionally by state and channel",
    params: IdParams,
    query: DeliveriesQuery,
    response: PageOf(DeliveryView),
    handler: ({ params, query, principal }) => service.deliveries(principal, params.id, query),
  });
  routes.add({
    method: 'get', path: '/v1/planned', operationId: 'listPlanned', tag: 'planned',
    summary:
      'Planned sends, soonest first: campaigns sending or paused (with planned counts and next planned time), and ' +
      'unless scheduled=false ("show planned also") those scheduled for later',
    query: PlannedQuery,
    response: z.object({ items: z.array(PlannedView) }),
    handler: ({ query, principal }) => service.planned(principal, query),
  });
  routes.add({
    method: 'delete', path: '/v1/planned/:id', operationId: 'deletePlanned', tag: 'planned',
    summary:
      'Delete a planned campaign (confirmation = its id): nothing more of it is sent, its unsent deliveries become ' +
      'notSent deleted, and it leaves the lists; returns the report',
    params: IdParams,
    query: DeletePlannedQuery,
    response: ControlReportView,
    handler: ({ params, query, principal }) => service.delete(principal, params.id, query.confirmation),
  });
}

/** The API's ISO end date as the Date the store keeps (null and absent pass through). */
function withDates<T extends { endAt?: string | null }>(body: T): Omit<T, 'endAt'> & { endAt?: Date | null } {
  const { endAt, ...rest } = body;
  return { ...rest, ...(endAt === undefined ? {} : { endAt: endAt === null ? null : new Date(endAt) }) };
}
