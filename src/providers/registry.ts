/** Builds the provider registry. Today every channel of every account goes to one sandbox. */
import type { Provider, ProviderRegistry } from './provider';
import { SandboxProvider, type SandboxOptions } from './sandbox';

/** A registry that hands `provider` out for every channel (the sandbox by default). */
export function createProviderRegistry(provider: Provider = new SandboxProvider()): ProviderRegistry {
  return {
    get: () => provider,
    close: async () => provider.close?.(),
  };
}

/** The default registry from configuration. */
export function defaultProviders(sandbox: SandboxOptions): ProviderRegistry {
  return createProviderRegistry(new SandboxProvider(sandbox));
}
