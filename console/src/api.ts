/** The console's view of the Herald API: the JSON shapes it reads, one fetch wrapper, and errors in plain words. */
import type { BrakeState, Campaign, ControlReport, DeliveryCounts } from '../../src/domain/types';
import type { CampaignStatus, Channel } from '../../src/domain/vocabulary';

/** A type as it arrives over JSON: dates are ISO strings. */
export type Wire<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };

/** Time left for a sending campaign, when the API gives it (absent or null otherwise). */
export interface Eta {
  messagesPerSecond: number;
  secondsLeft: number;
  at: string;
}

/** A campaign as `GET /v1/campaigns/:id` returns it. */
export type CampaignView = Wire<Campaign> & {
  counts: DeliveryCounts;
  byChannel: Partial<Record<Channel, DeliveryCounts>>;
  progress: number;
  brake: Wire<BrakeState>;
  workflowId: string;
  workflowUrl: string;
  eta?: Eta | null;
};

/** A planned send as `GET /v1/planned` lists it. */
export type PlannedView = CampaignView & { nextPlannedAt: string | null };

/** The brake as `GET /v1/account/brake` returns it (with the name of the key that switched it). */
export type BrakeView = Wire<BrakeState> & { byName?: string | null };

/** What switching the brake did. */
export type BrakeResult = BrakeView & { campaigns: string[]; skipped: string[]; errors: { campaignId: string; error: string }[]; ms: number };

/** A stop, cancel or delete report. */
export type ReportView = ControlReport & { requestedByName?: string | null };

/** An API error, with the sentence the console shows for it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    /** The API's own message, for the details line. */
    readonly detail: string,
    message: string,
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

/** Calls the API with the session's key; throws an ApiError whose message a person understands. */
export async function call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: object, key = session.key()): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: { Authorization: `Bearer ${key ?? ''}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new ApiError(0, 'network', 'no answer', 'Herald did not answer. Is it running? Check the terminal where you started it.');
  }
  const payload: unknown = await res.json().catch(() => undefined);
  if (res.ok) return payload as T;
  const error = (payload as { error?: { code?: string; message?: string } } | undefined)?.error;
  const code = error?.code ?? 'unknown';
  const detail = error?.message ?? `HTTP ${res.status}`;
  if (res.status === 401 && key === session.key()) onUnauthorized();
  throw new ApiError(res.status, code, detail, inWords(res.status, code, detail));
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

/** The campaign endpoints the console uses. */
export const campaigns = {
  list: (status?: CampaignStatus) => call<{ items: CampaignView[]; next: string | null }>('GET', `/v1/campaigns?limit=200${status ? `&status=${status}` : ''}`),
  get: (id: string) => call<CampaignView>('GET', `/v1/campaigns/${encodeURIComponent(id)}`),
  report: (id: string) => call<ReportView>('GET', `/v1/campaigns/${encodeURIComponent(id)}/report`),
  act: <T = CampaignView>(id: string, action: 'send' | 'schedule' | 'pause' | 'resume' | 'stop' | 'cancel' | 'unschedule' | 'copy', body?: object) =>
    call<T>('POST', `/v1/campaigns/${encodeURIComponent(id)}/${action}`, body),
  planned: (scheduled: boolean) => call<{ items: PlannedView[] }>('GET', `/v1/planned?scheduled=${scheduled}`),
  deletePlanned: (id: string, confirmation: string) =>
    call<ReportView>('DELETE', `/v1/planned/${encodeURIComponent(id)}?confirmation=${encodeURIComponent(confirmation)}`),
};

/** The account's emergency brake. */
export const brake = {
  get: (key?: string) => call<BrakeView>('GET', '/v1/account/brake', undefined, key ?? session.key()),
  set: (on: boolean) => call<BrakeResult>('POST', '/v1/account/brake', { on }),
};
