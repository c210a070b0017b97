/** Account routes: the emergency brake. */
import type { RouteTable } from '../route';
import { BrakeBody, BrakeResultView, BrakeView } from './account.schemas';
import type { BrakeService } from './brake.service';

/** Adds the account routes. */
export function accountRoutes(routes: RouteTable, brake: BrakeService): void {
  const tag = 'account';
  routes.add({
    method: 'get', path: '/v1/account/brake', operationId: 'getBrake', tag,
    summary: "The account's emergency brake: on or off, since when, set by which API key",
    response: BrakeView,
    handler: ({ principal }) => brake.state(principal),
  });
  routes.add({
    method: 'post', path: '/v1/account/brake', operationId: 'setBrake', tag,
    summary:
      'Emergency brake: on holds every sending campaign (answers once nothing of the account can leave), keeps ' +
      'scheduled ones from starting and refuses new sends; off releases what the brake held (deliveries planned ' +
      'more than 7 days before the release become notSent brake_expired)',
    body: BrakeBody,
    response: BrakeResultView,
    handler: ({ body, principal }) => brake.set(principal, body.on),
  });
}
