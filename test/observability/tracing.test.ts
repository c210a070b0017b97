/**
 * Traces: one send, traced end to end with an in-memory exporter. The API request, the Temporal client's start,
 * the campaign workflow, its activities and the provider request are spans of one trace, each the child of the
 * one that caused it. The span tree is written to test-artifacts/traces/one-send.txt (the README shows it).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, bundleWorkflowCode } from '@temporalio/worker';
import { createApp } from '../../src/api/app';
import { WORKFLOW_TRACING_MODULE, clientInterceptors, startTracing } from '../../src/observability/tracing';
import { SandboxProvider } from '../../src/providers/sandbox';
import { createProviderRegistry } from '../../src/providers/registry';
import { CAMPAIGN_WORKFLOW_TYPE, DEFAULT_SEND_OPTIONS, campaignWorkflowId } from '../../src/workflows/definitions';
import { createWorker } from '../../src/worker';
import { api, campaignEnded, draftCampaign, newAccount, openTestStore, quietRuntime, taskQueueFor, temporalAddress } from '../helpers';

const ROOT = path.resolve(__dirname, '../..');

test("one send's trace: API request -> client start -> workflow -> activities -> provider request", async () => {
  quietRuntime();
  const exporter = new InMemorySpanExporter();
  const tracing = startTracing({ spanProcessor: new SimpleSpanProcessor(exporter) })!;
  const store = await openTestStore('embedded');
  const taskQueue = taskQueueFor('tracing');
  const connection = await Connection.connect({ address: temporalAddress() });
  const nativeConnection = await NativeConnection.connect({ address: temporalAddress() });
  const sandbox = new SandboxProvider();
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(ROOT, 'src', 'workflows'),
    workflowInterceptorModules: [WORKFLOW_TRACING_MODULE],
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
  });
  const worker = await createWorker({
    connection: nativeConnection,
    store,
    providers: createProviderRegistry(sandbox),
    config: { TEMPORAL_NAMESPACE: 'default', TASK_QUEUE: taskQueue, CHUNK_SIZE: 50, MAX_SEND_ATTEMPTS: 5, WORKER_MAX_ACTIVITIES: 8 },
    workflowBundle: { code },
    tracing,
  });
  const running = worker.run();
  try {
    const client = new Client({ connection, interceptors: clientInterceptors(tracing) });
    const app = createApp({
      store,
      temporal: client,
      settings: { taskQueue, namespace: 'default', temporalUiUrl: 'http://127.0.0.1:8233', sendOptions: DEFAULT_SEND_OPTIONS, secretsKey: randomBytes(32) },
      tracing,
    });
    const { apiKey } = await newAccount(store, 'Traced');
    const http = api(app, apiKey);
    await http.post('/v1/contacts', { contacts: [{ id: 'ada', email: 'ada@example.com' }, { id: 'ben', email: 'ben@example.com' }] }).expect(200);
    const id = await draftCampaign(app, apiKey, { type: 'list', contactIds: ['ada', 'ben'] }, { channels: [{ channel: 'email', subject: 'Hi', body: 'Hello' }] });
    await http.post(`/v1/campaigns/${id}/send`).expect(202);
    expect((await campaignEnded(app, apiKey, id)).counts.sent).toBe(2);
    // The store says Finished a moment before the workflow returns and its span ends.
    await client.workflow.getHandle(campaignWorkflowId(id)).result();
    await tracing.spanProcessor.forceFlush();

    const spans = exporter.getFinishedSpans();
    const request = spans.find((s) => s.name === 'POST /v1/campaigns/:id/send')!;
    expect(request).toBeDefined();
    const traceOf = spans.filter((s) => s.spanContext().traceId === request.spanContext().traceId);
    const names = traceOf.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining([`StartWorkflow:${CAMPAIGN_WORKFLOW_TYPE}`, `RunWorkflow:${CAMPAIGN_WORKFLOW_TYPE}`, 'provider.send email']));
    expect(names.some((n) => n.startsWith('RunActivity:'))).toBe(true);
    // Each span's parent is in the trace (the chain is unbroken), and the provider request sits under an activity.
    const byId = new Map(traceOf.map((s) => [s.spanContext().spanId, s]));
    for (const s of traceOf) if (s !== request) expect(byId.has(s.parentSpanId!)).toBe(true);
    const send = traceOf.find((s) => s.name === 'provider.send email')!;
    expect(byId.get(send.parentSpanId!)!.name).toMatch(/^RunActivity:/);
    expect(send.attributes).toMatchObject({ 'herald.provider': 'sandbox', 'herald.channel': 'email', 'herald.messages': 2, 'herald.accepted': 2 });

    // The tree, as a trace viewer shows it.
    const lines: string[] = [];
    const walk = (span: ReadableSpan, depth: number) => {
      const ms = (span.endTime[0] - span.startTime[0]) * 1000 + (span.endTime[1] - span.startTime[1]) / 1e6;
      lines.push(`${'  '.repeat(depth)}${span.name}  (${ms.toFixed(1)} ms)`);
      traceOf.filter((c) => c.parentSpanId === span.spanContext().spanId).sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]).forEach((c) => walk(c, depth + 1));
    };
    walk(request, 0);
    mkdirSync(path.join(ROOT, 'test-artifacts', 'traces'), { recursive: true });
    writeFileSync(path.join(ROOT, 'test-artifacts', 'traces', 'one-send.txt'), `trace ${request.spanContext().traceId}\n${lines.join('\n')}\n`);
  } finally {
    worker.shutdown();
    await running;
    await nativeConnection.close();
    await connection.close();
    await store.close();
    await tracing.shutdown();
  }
});
