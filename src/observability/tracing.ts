/**
 * OpenTelemetry traces across Herald: the API request, the Temporal client call that starts or controls a campaign,
 * the campaign workflow and its activities (the Temporal SDK's OpenTelemetry interceptors carry the context through
 * Temporal's headers), and each provider request. Exported by OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set;
 * off otherwise (no provider registered: every span is a no-op). Tests pass their own span processor.
 */
import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { OpenTelemetryActivityInboundInterceptor, makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry/lib/worker';
import type { WorkerOptions } from '@temporalio/worker';
import type { RequestHandler } from 'express';
import type { Channel } from '../domain/vocabulary';
import type { Provider, ProviderRegistry } from '../providers/provider';

/** The workflow interceptors module: it must be bundled with the workflows (see `bundleWorkflowCode`). */
export const WORKFLOW_TRACING_MODULE = require.resolve('../workflows/tracing');

/** Tracing as set up for this process. */
export interface Tracing {
  spanProcessor: SpanProcessor;
  resource: Resource;
  shutdown(): Promise<void>;
}

/** The tracer Herald's own spans come from. */
const tracer = () => trace.getTracer('herald');

/**
 * Starts tracing for this process when `endpoint` is set (OTLP/HTTP, e.g. http://otel-collector:4318) or a span
 * processor is given (tests); returns undefined otherwise, and nothing is traced.
 */
export function startTracing(opts: { serviceName?: string | undefined; endpoint?: string | undefined; spanProcessor?: SpanProcessor }): Tracing | undefined {
  if (!opts.endpoint && !opts.spanProcessor) return undefined;
  const resource = new Resource({ 'service.name': opts.serviceName ?? 'herald' });
  const spanProcessor = opts.spanProcessor ?? new BatchSpanProcessor(new OTLPTraceExporter({ url: `${opts.endpoint!.replace(/\/$/, '')}/v1/traces` }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  return { spanProcessor, resource, shutdown: () => provider.shutdown() };
}

/** The Temporal client's interceptors: its calls (start, update, query) carry the caller's trace to the workflow. */
export function clientInterceptors(tracing: Tracing | undefined) {
  return tracing ? { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } : {};
}

/**
 * A worker's tracing options: workflow spans (through a sink, since workflow code cannot export) and a span per
 * activity, each a child of the workflow's. The workflow bundle must include WORKFLOW_TRACING_MODULE.
 */
export function workerTracing(tracing: Tracing | undefined): Pick<WorkerOptions, 'sinks' | 'interceptors'> {
  if (!tracing) return {};
  return {
    sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
    interceptors: {
      workflowModules: [WORKFLOW_TRACING_MODULE],
      activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx) })],
    },
  };
}

/** A server span per API request (`POST /v1/campaigns/:id/send`), active while the request is handled. */
export function requestSpans(): RequestHandler {
  return (req, res, next) => {
    const span = tracer().startSpan(`${req.method} ${req.path}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': req.path } });
    res.once('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path;
      if (route) span.updateName(`${req.method} ${route}`);
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(context.active(), span), next);
  };
}

/** Runs `fn` in a span named `name`, recording its error. */
async function inSpan<T>(name: string, attributes: Record<string, string | number>, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** A provider whose requests are spans (`provider.send email`, with the provider's name and message count). */
function tracedProvider(provider: Provider, channel: Channel): Provider {
  return {
    name: provider.name,
    ...(provider.cancelWindowMs !== undefined ? { cancelWindowMs: provider.cancelWindowMs } : {}),
    send: (messages, signal) =>
      inSpan(`provider.send ${channel}`, { 'herald.provider': provider.name, 'herald.channel': channel, 'herald.messages': messages.length }, async (span) => {
        const outcomes = await provider.send(messages, signal);
        span.setAttribute('herald.accepted', outcomes.filter((o) => o.status === 'accepted').length);
        return outcomes;
      }),
    ...(provider.cancel
      ? { cancel: (ids: string[], signal: AbortSignal) => inSpan(`provider.cancel ${channel}`, { 'herald.provider': provider.name, 'herald.messages': ids.length }, () => provider.cancel!(ids, signal)) }
      : {}),
    ...(provider.close ? { close: () => provider.close!() } : {}),
  };
}

/** The registry with every provider it hands out traced (the registry itself when tracing is off). */
export function tracedRegistry(registry: ProviderRegistry, tracing: Tracing | undefined): ProviderRegistry {
  if (!tracing) return registry;
  return {
    get: async (accountId, channel) => tracedProvider(await registry.get(accountId, channel), channel),
    close: () => registry.close(),
  };
}
