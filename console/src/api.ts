/**
 * The console's view of the Herald API: the typed client generated from the OpenAPI document (src/client), the
 * shapes it reads by their schema names, one way to turn an answer into data or an error in plain words.
 */
import { heraldClient, type Schemas } from '../../src/client';
import type { CampaignStatus } from '../../src/domain/vocabulary';

/** A campaign as `GET /v1/campaigns/:id` returns it (fields the API adds later are carried along unread). */
export type CampaignView = Schemas['Campaign'];

/** Time left for a sending campaign, when the API gives it (absent or null otherwise). */
export type Eta = NonNullable<CampaignView['eta']>;

/** A planned send as `GET /v1/planned` lists it. */
export type PlannedView = Schemas['PlannedCampaign'];

/** The brake as `GET /v1/account/brake` returns it (with the name of the key that switched it). */
export type BrakeView = Schemas['Brake'];

/** What switching the brake did. */
export type BrakeResult = Schemas['BrakeResult'];

/** A stop, cancel or delete report. */
export type ReportView = Schemas['ControlReport'];

/** An API error, with the sentence the console shows for it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    /** The API's own message, for the details line. */
    readonly detail: string,
    message: string,
    /** For a 400: each field refused (`contacts.3.email`) and why. */
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

const KEY_ITEM = 'herald.apiKey';

/** The API key of this browser tab (sessionStorage: gone when the tab closes). */
export const session = {
  key: (): string | null => sessionStorage.getItem(KEY_ITEM),
  signIn: (key: string): void => sessionStorage.setItem(KEY_ITEM, key),
  signOut: (): void => sessionStorage.removeItem(KEY_ITEM),
};

/** Called when the API refuses the key (it was revoked, or the store was reset). */
let onUnauthorized: () => void = () => undefined;
/** Sets what happens when the API answers 401. */
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

/** The typed client, sending the session's key. */
export const client = heraldClient({ apiKey: () => session.key() });

/** The three things openapi-fetch answers with. */
type Answer<T> = { data?: T; error?: unknown; response: Response };

/**
 * The data of a call of the typed client, or an ApiError whose message a person understands (also when Herald
 * does not answer at all). `key` is the key the call was made with, when not the session's.
 */
export async function unwrap<T>(call: Promise<Answer<T>>, key = session.key()): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await call;
  } catch {
    throw new ApiError(0, 'network', 'no answer', 'Herald did not answer. Is it running? Check the terminal where you started it.');
  }
  const { data, error, response } = answer;
  if (response.ok) return data as T;
  const body = (error as { error?: { code?: string; message?: string; issues?: { path: string; message: string }[] } } | undefined)?.error;
  const code = body?.code ?? 'unknown';
  const detail = body?.message ?? `HTTP ${response.status}`;
  if (response.status === 401 && key === session.key()) onUnauthorized();
  throw new ApiError(response.status, code, detail, inWords(response.status, code, detail), body?.issues ?? []);
}

/** What an API error means for the operator, in a sentence. */
export function inWords(status: number, code: string, detail: string): string {
  switch (code) {
    case 'unauthorized':
      return 'This API key was not accepted. Check it and sign in again (npm start prints the development key).';
    case 'not_found':
      return 'Not found: it does not exist, or it belongs to another account.';
    case 'confirmation_mismatch':
      return 'The id you typed does not match the campaign id, so nothing was changed. Type it exactly, or close this dialog.';
    case 'brake_on':
      return "The account's emergency brake is on, so nothing can start sending. Release the brake first.";
    case 'invalid_transition':
      return `Not possible right now: ${sentence(detail)} The page shows the current status.`;
    case 'invalid_request':
      return `Herald refused the request: ${sentence(detail)}`;
  }
  if (status >= 500) return 'Herald had an internal error and did not confirm the action. Reload to see the current state, then try again.';
  return `Herald answered with an error (${status}): ${sentence(detail)}`;
}

function sentence(text: string): string {
  const s = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

const byId = (id: string) => ({ params: { path: { id } } });

/** The campaign endpoints the console uses. */
export const campaigns = {
  list: (status?: CampaignStatus, after?: string) =>
    unwrap(client.GET('/v1/campaigns', { params: { query: { limit: 50, ...(status ? { status } : {}), ...(after ? { after } : {}) } } })),
  get: (id: string) => unwrap(client.GET('/v1/campaigns/{id}', byId(id))),
  report: (id: string) => unwrap(client.GET('/v1/campaigns/{id}/report', byId(id))),
  send: (id: string) => unwrap(client.POST('/v1/campaigns/{id}/send', byId(id))),
  pause: (id: string) => unwrap(client.POST('/v1/campaigns/{id}/pause', byId(id))),
  resume: (id: string) => unwrap(client.POST('/v1/campaigns/{id}/resume', byId(id))),
  unschedule: (id: string) => unwrap(client.POST('/v1/campaigns/{id}/unschedule', byId(id))),
  copy: (id: string) => unwrap(client.POST('/v1/campaigns/{id}/copy', byId(id))),
  schedule: (id: string, at: string) => unwrap(client.POST('/v1/campaigns/{id}/schedule', { ...byId(id), body: { at } })),
  stop: (id: string, confirmation: string) => unwrap(client.POST('/v1/campaigns/{id}/stop', { ...byId(id), body: { confirmation } })),
  cancel: (id: string) => unwrap(client.POST('/v1/campaigns/{id}/cancel', { ...byId(id), body: {} })),
  planned: (scheduled: boolean) => unwrap(client.GET('/v1/planned', { params: { query: { scheduled: String(scheduled) as 'true' | 'false' } } })),
  deletePlanned: (id: string, confirmation: string) =>
    unwrap(client.DELETE('/v1/planned/{id}', { params: { path: { id }, query: { confirmation } } })),
};

/** The account's emergency brake. */
export const brake = {
  /** The brake's state; with `key`, checks that key (the sign-in form) instead of the session's. */
  get: (key?: string) =>
    unwrap(client.GET('/v1/account/brake', key ? { headers: { Authorization: `Bearer ${key}` } } : {}), key ?? session.key()),
  set: (on: boolean) => unwrap(client.POST('/v1/account/brake', { body: { on } })),
};

/** A campaign's fields as the editor sends them (create, or edit a Draft). */
export type CampaignInput = Schemas['CreateCampaign'];
/** An audience as listed. */
export type AudienceView = Schemas['Audience'];
/** A new audience: a list of contact ids or a filter. */
export type AudienceInput = Schemas['CreateAudience'];
/** A contact as the API answers it. */
export type ContactView = Schemas['Contact'];
/** A contact as imported. */
export type ContactInput = Schemas['ContactInput'];
/** A channel's provider settings. */
export type ProviderView = Schemas['Provider'];
/** An API key as listed. */
export type ApiKeyView = Schemas['ApiKey'];
/** An audit log entry. */
export type AuditEntryView = Schemas['AuditEntry'];
/** Templates rendered for one contact. */
export type PreviewView = Schemas['Preview'];

/** Creating and editing campaigns, and previews of what they send. */
export const editor = {
  create: (body: CampaignInput) => unwrap(client.POST('/v1/campaigns', { body })),
  update: (id: string, body: Schemas['UpdateCampaign']) => unwrap(client.PATCH('/v1/campaigns/{id}', { ...byId(id), body })),
  preview: (contactId: string, channels: CampaignInput['channels']) => unwrap(client.POST('/v1/preview', { body: { contactId, channels } })),
};

/** Audiences: static lists and filters. */
export const audiences = {
  list: () => unwrap(client.GET('/v1/audiences')),
  get: (id: string) => unwrap(client.GET('/v1/audiences/{id}', byId(id))),
  create: (body: AudienceInput) => unwrap(client.POST('/v1/audiences', { body })),
};

/** Contacts: search by cursor, import (insert or replace by id). */
export const contacts = {
  list: (q: string, after?: string, limit = 50) =>
    unwrap(client.GET('/v1/contacts', { params: { query: { limit, ...(q ? { q } : {}), ...(after ? { after } : {}) } } })),
  get: (id: string) => unwrap(client.GET('/v1/contacts/{id}', byId(id))),
  import: (list: ContactInput[]) => unwrap(client.POST('/v1/contacts', { body: { contacts: list } })),
};

/** Provider settings per channel, with a test send. */
export const providers = {
  list: () => unwrap(client.GET('/v1/providers')),
  put: (channel: ProviderView['channel'], body: Schemas['PutProvider']) =>
    unwrap(client.PUT('/v1/providers/{channel}', { params: { path: { channel } }, body })),
  remove: (channel: ProviderView['channel']) => unwrap(client.DELETE('/v1/providers/{channel}', { params: { path: { channel } } })),
  test: (channel: ProviderView['channel'], body: Schemas['TestSend']) =>
    unwrap(client.POST('/v1/providers/{channel}/test', { params: { path: { channel } }, body })),
};

/** API keys: create (the key is shown once), list, revoke. */
export const keys = {
  list: () => unwrap(client.GET('/v1/keys')),
  create: (name: string, scope: ApiKeyView['scope']) => unwrap(client.POST('/v1/keys', { body: { name, scope } })),
  revoke: (id: string) => unwrap(client.DELETE('/v1/keys/{id}', byId(id))),
};

/** The audit log, newest last, by cursor. */
export const audit = {
  list: (after?: string) => unwrap(client.GET('/v1/audit', { params: { query: { limit: 50, ...(after ? { after } : {}) } } })),
};
