/**
 * Health and readiness, the same for the API and the worker. /healthz: the process answers (liveness: restart it
 * when it does not). /readyz: it can do its work now (the store and Temporal answer; a worker is polling), so
 * traffic or scrapes may come (readiness: take it out of rotation when not).
 */

/** The paths probes use (deploy/k8s names them; test/deploy checks they exist). */
export const HEALTH_PATH = '/healthz';
/** See HEALTH_PATH. */
export const READY_PATH = '/readyz';

/** How long one readiness check may take before it counts as failed. */
const CHECK_WITHIN_MS = 2_000;

/** A named readiness check: resolves when ready, throws (or times out) when not. */
export type ReadinessCheck = [name: string, check: () => Promise<unknown>];

/** The readiness answer: ready, and each check's result (`ok` or its error). */
export async function readiness(checks: ReadinessCheck[]): Promise<{ ready: boolean; checks: Record<string, string> }> {
  const results = await Promise.all(
    checks.map(async ([name, check]) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        await Promise.race([
          check(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_WITHIN_MS} ms`)), CHECK_WITHIN_MS);
          }),
        ]);
        return [name, 'ok'] as const;
      } catch (err) {
        return [name, (err as Error).message || String(err)] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { ready: results.every(([, r]) => r === 'ok'), checks: Object.fromEntries(results) };
}
