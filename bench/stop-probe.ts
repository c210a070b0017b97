/**
 * A few stops of one campaign each, each printed with its workflow history's event times (ms after the REST request,
 * real clocks) and the report's times: where a stop's answer spends its time.
 * `STORE=embedded|postgres N=10000 TRIALS=5 npx tsx bench/stop-probe.ts` (DATABASE_URL: a PostgreSQL admin URL).
 */
import { startBenchEnvironment } from './environment';
import { sinkStats } from './sink';
import { reach } from './controls';
import { startEmbedded, startPostgres } from './herald';
import { campaignWorkflowId } from '../src/workflows/definitions';
import { localActivityOf } from '../test/helpers';
import type { ControlReport } from '../src/domain/types';

const STORE = process.env.STORE ?? 'postgres';
const N = Number(process.env.N ?? 10000);
const TRIALS = Number(process.env.TRIALS ?? 5);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const cleanup: (() => Promise<unknown>)[] = [];
  const { temporalAddress, client, workflowBundle, sinkUrl } = await startBenchEnvironment(cleanup);
  const stats = async (id: string) => (await sinkStats(sinkUrl, id)).campaign!;
  const env = { temporalAddress, sinkUrl: `${sinkUrl}`, concurrency: 32, workflowBundle, providerLatencyMs: 5 };
  const herald = STORE === 'postgres' ? await startPostgres(env, process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres') : await startEmbedded(env);
  try {
    const audience = await herald.api.audience('p', N);
    for (let t = 0; t < TRIALS; t++) {
      const id = await herald.api.campaign(audience, `probe ${t}`, ['email', 'sms']);
      await herald.api.call('POST', `/v1/campaigns/${id}/send`);
      const target = Math.round(2 * N * (0.1 + Math.random() * 0.5));
      if (!(await reach(herald, stats, id, target))) throw new Error(`trial ${t}: the campaign finished first`);
      const requested = Date.now();
      const answer = await herald.api.call<ControlReport>('POST', `/v1/campaigns/${id}/stop`, { confirmation: id });
      const answered = Date.now();
      const rel = (iso: string) => Date.parse(iso) - requested;
      console.log(`trial ${t} at ${new Date(requested).toISOString()}: ${answered - requested} ms; received ${rel(answer.requestedAt)} aborted ${rel(answer.steps[0]!.at)} answeredAt ${rel(answer.answeredAt)}`);
      await sleep(1500);
      const history = await client.workflow.getHandle(campaignWorkflowId(id)).fetchHistory();
      const lines: string[] = [];
      for (const e of history.events ?? []) {
        const ms = Number(e.eventTime!.seconds) * 1000 + Math.round((e.eventTime!.nanos ?? 0) / 1e6) - requested;
        if (ms < -300 || ms > answered - requested + 200) continue;
        const type = Object.keys(e).find((k) => k.endsWith('EventAttributes')) ?? String(e.eventType);
        const update = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
        const extra = localActivityOf(e) ?? update ?? '';
        lines.push(`  ${String(ms).padStart(6)} ${e.eventId} ${type.replace('EventAttributes', '')} ${extra}`);
      }
      console.log(lines.join('\n'));
      console.log(`  REST response at ${answered - requested}`);
    }
  } finally {
    await herald.stop();
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  }
}
main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
