/** Builds the provider registry. Today every channel of every account goes to one provider: the sandbox or a webhook. */
import type { Config } from '../config';
import type { Provider, ProviderRegistry } from './provider';
import { SandboxProvider, type SandboxOptions } from './sandbox';
import { WebhookProvider } from './webhook';

/** A registry that hands `provider` out for every channel (the sandbox by default). */
export function createProviderRegistry(provider: Provider = new SandboxProvider()): ProviderRegistry {
  return {
    get: () => provider,
    close: async () => provider.close?.(),
  };
}

/** The default registry from configuration: every channel to WEBHOOK_URL when set, else to the sandbox. */
export function defaultProviders(config: Pick<Config, 'SANDBOX_LATENCY_MS' | 'SANDBOX_FAILURE_RATE' | 'WEBHOOK_URL'>): ProviderRegistry {
  if (config.WEBHOOK_URL) return createProviderRegistry(new WebhookProvider({ url: config.WEBHOOK_URL }));
  const sandbox: SandboxOptions = { latencyMs: config.SANDBOX_LATENCY_MS, failureRate: config.SANDBOX_FAILURE_RATE };
  return createProviderRegistry(new SandboxProvider(sandbox));
}
