/** Provider settings per channel: saved validated with secrets sealed, listed without secrets, tried with a test send. */
import webpush from 'web-push';
import { NotFoundError } from '../../domain/errors';
import type { Channel } from '../../domain/vocabulary';
import { STRICT_EGRESS, type EgressPolicy } from '../../providers/egress';
import { unseal, seal } from '../../providers/secrets';
import { buildProvider, parseSettings, type ProviderKind } from '../../providers/settings';
import { RECEIPT_SCHEMES } from '../../receipts';
import { audit } from '../common/audit';
import { receiptPath } from '../receipts/receipts.routes';
import type { Principal, Store, StoredProviderSettings } from '../../store/store';

/** A channel's provider as the API shows it: the names of its secrets, never their values. */
export interface ProviderView {
  channel: Channel;
  kind: string;
  config: Record<string, unknown>;
  secretsSet: string[];
  /** Where the provider sends its receipts (kinds that report back): set it as the provider's webhook URL. */
  receiptUrl?: string;
  updatedAt: Date;
}

/** What a test send answers: accepted, or the classified reason it was not (see `ProviderService.test`). */
export interface TestOutcome {
  status: 'accepted' | 'retryable' | 'permanent';
  error?: string;
  httpStatus?: number;
  retryAfterMs?: number;
  suppress?: boolean;
}

/** Provider settings operations, scoped to the caller's account and audited (without secret values). */
export class ProviderService {
  constructor(private readonly deps: { store: Store; secretsKey: Buffer; publicUrl: string; egress?: EgressPolicy }) {}

  private get egress(): EgressPolicy {
    return this.deps.egress ?? STRICT_EGRESS;
  }

  async list(principal: Principal): Promise<ProviderView[]> {
    const all = await this.deps.store.listProviderSettings(principal.accountId);
    return Promise.all(all.map((s) => this.view(principal.accountId, s)));
  }

  async put(
    principal: Principal,
    channel: Channel,
    input: { kind: ProviderKind; config: Record<string, unknown>; secrets?: Record<string, unknown> | undefined },
  ): Promise<ProviderView> {
    const { store, secretsKey } = this.deps;
    const previous = await store.getProviderSettings(principal.accountId, channel);
    const keep = previous?.kind === input.kind && previous.sealedSecrets ? unseal<Record<string, unknown>>(previous.sealedSecrets, secretsKey) : undefined;
    let request = input;
    if (input.kind === 'twilio' && input.config.statusCallback === undefined) {
      // Twilio reports each message's status to the URL it is given: by default Herald's own receipt route.
      const token = await store.receipts.endpointToken(principal.accountId, 'twilio');
      request = { ...input, config: { ...input.config, statusCallback: `${this.deps.publicUrl}${receiptPath('twilio', token)}` } };
    }
    if (input.kind === 'webpush' && !input.secrets && !keep && input.config.publicKey === undefined) {
      // No VAPID keys given: make the account a pair (the public key is shown, the private one never).
      const keys = webpush.generateVAPIDKeys();
      request = { ...input, config: { ...input.config, publicKey: keys.publicKey }, secrets: { privateKey: keys.privateKey } };
    }
    const parsed = await parseSettings(channel, request, keep, this.egress).catch(async (err: unknown) => {
      await audit(this.deps.store, principal, 'provider.put', channel, 'refused', { kind: input.kind, error: (err as Error).message });
      throw err;
    });
    const saved = await store.putProviderSettings(principal.accountId, {
      channel,
      kind: parsed.kind,
      config: parsed.config,
      sealedSecrets: Object.keys(parsed.secrets).length > 0 ? seal(parsed.secrets, secretsKey) : null,
    });
    await audit(this.deps.store, principal, 'provider.put', channel, 'ok', { kind: parsed.kind, secretsChanged: request.secrets !== undefined });
    return this.view(principal.accountId, saved);
  }

  async remove(principal: Principal, channel: Channel): Promise<{ deleted: true }> {
    if (!(await this.deps.store.deleteProviderSettings(principal.accountId, channel))) throw new NotFoundError('provider for', channel);
    await audit(this.deps.store, principal, 'provider.delete', channel, 'ok');
    return { deleted: true };
  }

  /**
   * Sends one message through the saved settings and says how it went: the outcome's status and its classified
   * error (the provider's HTTP status or reply code, a known error code) but never the provider's body, message
   * id or protocol error text, so a test send cannot be used to read what answers at an address.
   */
  async test(principal: Principal, channel: Channel, message: { to: string; subject?: string | undefined; body: string }): Promise<TestOutcome> {
    const stored = await this.deps.store.getProviderSettings(principal.accountId, channel);
    if (!stored) throw new NotFoundError('provider for', channel);
    const provider = buildProvider(stored, this.deps.secretsKey, this.egress);
    try {
      const [outcome] = await provider.send(
        [{ deliveryId: 0, campaignId: 'test', contactId: 'test', channel, to: message.to, body: message.body, ...(message.subject ? { subject: message.subject } : {}) }],
        AbortSignal.timeout(30_000),
      );
      await audit(this.deps.store, principal, 'provider.test', channel, outcome?.status === 'accepted' ? 'ok' : 'error', { outcome: outcome?.status });
      if (!outcome || outcome.status === 'accepted') return { status: 'accepted' };
      const httpStatus = /\bHTTP (\d{3})\b/.exec(outcome.error)?.[1];
      return {
        status: outcome.status,
        error: outcome.error,
        ...(httpStatus ? { httpStatus: Number(httpStatus) } : {}),
        ...(outcome.status === 'retryable' && outcome.retryAfterMs !== undefined ? { retryAfterMs: outcome.retryAfterMs } : {}),
        ...(outcome.status === 'permanent' && outcome.suppress ? { suppress: true } : {}),
      };
    } finally {
      await provider.close?.();
    }
  }

  private async view(accountId: string, s: StoredProviderSettings): Promise<ProviderView> {
    const secrets = s.sealedSecrets ? unseal<Record<string, unknown>>(s.sealedSecrets, this.deps.secretsKey) : {};
    const receiptUrl = Object.hasOwn(RECEIPT_SCHEMES, s.kind)
      ? `${this.deps.publicUrl}${receiptPath(s.kind, await this.deps.store.receipts.endpointToken(accountId, s.kind))}`
      : undefined;
    return { channel: s.channel, kind: s.kind, config: s.config, secretsSet: Object.keys(secrets).sort(), ...(receiptUrl ? { receiptUrl } : {}), updatedAt: s.updatedAt };
  }

}
