/**
 * The provider registry: each account's channel goes to the provider its settings describe (built once and
 * rebuilt when the settings change), or to the default provider (the sandbox, or a webhook) when it has none.
 */
import type { Config } from '../config';
import type { Channel } from '../domain/vocabulary';
import type { Store } from '../store/store';
import type { EgressPolicy } from './egress';
import type { SharedLimits } from './limits';
import type { Provider, ProviderRegistry } from './provider';
import { SandboxProvider, type SandboxOptions } from './sandbox';
import { buildProvider } from './settings';
import { WebhookProvider } from './webhook';

/** Where per-account settings come from; without it every channel uses the default provider. */
export interface AccountSettingsSource {
  store: Store;
  secretsKey: Buffer;
  /** Where account-configured providers may connect. */
  egress: EgressPolicy;
}

/** A registry that hands out each account's configured providers, else `fallback`. */
export function createProviderRegistry(fallback: Provider = new SandboxProvider(), settings?: AccountSettingsSource): ProviderRegistry {
  const built = new Map<string, { version: number; provider: Provider }>();
  return {
    async get(accountId: string, channel: Channel): Promise<Provider> {
      if (!settings) return fallback;
      const stored = await settings.store.getProviderSettings(accountId, channel);
      const key = `${accountId}/${channel}`;
      const cached = built.get(key);
      if (!stored) {
        if (cached) {
          built.delete(key);
          await cached.provider.close?.();
        }
        return fallback;
      }
      const version = stored.updatedAt.getTime();
      if (cached?.version === version) return cached.provider;
      const shared: SharedLimits = {
        slots: (count, intervalMs) => settings.store.bookProviderSlots(accountId, channel, count, intervalMs),
        permits: (ask) => settings.store.leaseProviderPermits(accountId, channel, ask),
      };
      const provider = buildProvider(stored, settings.secretsKey, settings.egress, shared);
      built.set(key, { version, provider });
      // Batches still using the old instance finish on it; its pooled connections close when idle.
      if (cached) setTimeout(() => void cached.provider.close?.(), 60_000).unref();
      return provider;
    },
    async close() {
      await Promise.all([...built.values()].map((b) => b.provider.close?.()));
      await fallback.close?.();
    },
  };
}

/** The default provider from configuration: every channel to WEBHOOK_URL when set, else to the sandbox. */
export function defaultProvider(
  config: Pick<Config, 'SANDBOX_LATENCY_MS' | 'SANDBOX_FAILURE_RATE' | 'WEBHOOK_URL' | 'WEBHOOK_CONCURRENCY' | 'WEBHOOK_TIMEOUT_MS'>,
): Provider {
  if (config.WEBHOOK_URL) {
    return new WebhookProvider({ url: config.WEBHOOK_URL, concurrency: config.WEBHOOK_CONCURRENCY, timeoutMs: config.WEBHOOK_TIMEOUT_MS });
  }
  const sandbox: SandboxOptions = { latencyMs: config.SANDBOX_LATENCY_MS, failureRate: config.SANDBOX_FAILURE_RATE };
  return new SandboxProvider(sandbox);
}
