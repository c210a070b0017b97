/** Provider settings routes. */
import type { RouteTable } from '../route';
import { z } from 'zod';
import { ChannelParams, ProviderView, PutProviderBody, SendOutcomeView, TestSendBody } from './providers.schemas';
import type { ProviderService } from './providers.service';

/** Adds the provider settings routes. */
export function providerRoutes(routes: RouteTable, service: ProviderService): void {
  const tag = 'providers';
  routes.add({
    method: 'get', path: '/v1/providers', operationId: 'listProviders', tag,
    summary: "The account's provider per channel (config, and the names of the secrets set: never their values)",
    response: z.array(ProviderView),
    handler: ({ principal }) => service.list(principal),
  });
  routes.add({
    method: 'put', path: '/v1/providers/:channel', operationId: 'putProvider', tag,
    summary: "Save a channel's provider: smtp, sendgrid, postmark, mailgun, ses, twilio, vonage, fcm, apns, webpush, webhook or sandbox (secrets are write-only)",
    params: ChannelParams,
    body: PutProviderBody,
    response: ProviderView,
    handler: ({ params, body, principal }) => service.put(principal, params.channel, body),
  });
  routes.add({
    method: 'delete', path: '/v1/providers/:channel', operationId: 'deleteProvider', tag,
    summary: "Remove a channel's provider (the channel goes back to the default)",
    params: ChannelParams,
    response: z.object({ deleted: z.literal(true) }),
    handler: ({ params, principal }) => service.remove(principal, params.channel),
  });
  routes.add({
    method: 'post', path: '/v1/providers/:channel/test', operationId: 'testProvider', tag,
    summary: 'Send one test message through the saved settings; answers with what the provider said',
    params: ChannelParams,
    body: TestSendBody,
    response: SendOutcomeView,
    handler: ({ params, body, principal }) => service.test(principal, params.channel, body),
  });
}
