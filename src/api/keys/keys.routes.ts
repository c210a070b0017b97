/** API key management: create (the key is shown once), list (never the key), revoke (at once). Admin scope. */
import { InvalidTransitionError, NotFoundError } from '../../domain/errors';
import type { Store } from '../../store/store';
import { audit } from '../common/audit';
import { IdParams } from '../common/schemas';
import type { RouteTable } from '../route';
import { ApiKeyList, ApiKeyView, CreateKeyBody, CreatedKeyView } from './keys.schemas';

/** Active (unrevoked) keys an account may hold: every key is a way in, and each is worth guarding. */
export const MAX_API_KEYS = 25;

/** Adds the API key routes. */
export function keyRoutes(routes: RouteTable, store: Store): void {
  const tag = 'keys';
  routes.add({
    method: 'post', path: '/v1/keys', operationId: 'createApiKey', tag, status: 201, scope: 'admin',
    summary: 'Create an API key with a scope (read, control or admin); the answer is the only time the key is shown',
    body: CreateKeyBody,
    response: CreatedKeyView,
    handler: async ({ body, principal }) => {
      const active = (await store.listApiKeys(principal.accountId)).filter((k) => !k.revokedAt).length;
      if (active >= MAX_API_KEYS) {
        throw new InvalidTransitionError('create', 'full', `an account may hold at most ${MAX_API_KEYS} active API keys: revoke one first`);
      }
      const created = await store.createApiKey(principal.accountId, body.name, body.scope);
      await audit(store, principal, 'key.create', created.id, 'ok', { name: created.name, scope: created.scope });
      return created;
    },
  });
  routes.add({
    method: 'get', path: '/v1/keys', operationId: 'listApiKeys', tag, scope: 'admin',
    summary: "The account's API keys with their scopes, revoked ones included (never the keys themselves)",
    response: ApiKeyList,
    handler: async ({ principal }) => ({ items: await store.listApiKeys(principal.accountId) }),
  });
  routes.add({
    method: 'delete', path: '/v1/keys/:id', operationId: 'revokeApiKey', tag, scope: 'admin',
    summary: 'Revoke an API key: it gets 401 from the next request on (a key cannot revoke itself)',
    params: IdParams,
    response: ApiKeyView,
    handler: async ({ params, principal }) => {
      if (params.id === principal.keyId) {
        throw new InvalidTransitionError('revoke', 'in use', 'cannot revoke the key making this request: revoke it with another admin key');
      }
      const revoked = await store.revokeApiKey(principal.accountId, params.id, new Date());
      if (!revoked) throw new NotFoundError('API key', params.id);
      await audit(store, principal, 'key.revoke', revoked.id, 'ok', { name: revoked.name });
      return revoked;
    },
  });
}
