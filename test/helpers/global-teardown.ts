/** Stops the run's Temporal dev server. */
import { rmSync } from 'node:fs';
import type { DevServer } from '../../src/cli/temporal';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { heraldTemporal?: DevServer }).heraldTemporal?.stop();
  if (process.env.HERALD_TEST_WORKFLOW_BUNDLE) rmSync(process.env.HERALD_TEST_WORKFLOW_BUNDLE, { force: true });
}
