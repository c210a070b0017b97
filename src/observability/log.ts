/**
 * Structured logs (pino, JSON lines on stdout). Lines about a campaign carry `accountId`, `campaignId` and
 * `workflowId`; credentials are redacted wherever they appear.
 */
import { pino, type Logger } from 'pino';
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import { campaignIdOf } from '../workflows/definitions';

/** pino-pretty's settings: time of day, level, message, and the ids that say what a line is about. */
const PRETTY = {
  target: 'pino-pretty',
  options: {
    colorize: process.stdout.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,req,res,responseTime,workflowId,runId,namespace,taskQueue,sdkComponent,isLocal,attempt,taskToken,workflowType,activityId,activityType',
    singleLine: true,
  },
};

/** Paths whose values never reach a log line. */
const REDACT = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  '*.apiKey',
  '*.secrets',
  '*.password',
  '*.authToken',
  '*.privateKey',
];

/**
 * The process's logger; LOG_LEVEL (TRACE..ERROR, or SILENT) sets its level. JSON lines unless LOG_FORMAT=pretty
 * (npm start sets it): then pino-pretty writes one short coloured line per entry, for people at a terminal.
 */
export const log: Logger = pino({
  level: (process.env.LOG_LEVEL ?? 'info').toLowerCase(),
  base: { service: 'herald' },
  redact: { paths: REDACT, censor: '[redacted]' },
  // Errors are logged by type and message: stack traces stay out of the logs.
  serializers: { err: (err: Error) => ({ type: err.name, message: err.message }) },
  ...(process.env.LOG_FORMAT === 'pretty' ? { transport: PRETTY } : {}),
});

/**
 * Sets the level of Herald's logs and installs them as Temporal's logger (once per process, before any worker).
 * With `metricsPort`, the Temporal SDK exports its own metrics by Prometheus on 127.0.0.1:<port>.
 * With `core`, the SDK core's own warnings (e.g. a server it cannot reach) come through the same logger too;
 * forwarding them polls on a timer for the life of the runtime, so a process that only runs clients leaves it off.
 */
export function installLogging(level: string, { core = true, metricsPort }: { core?: boolean; metricsPort?: number } = {}): void {
  log.level = level.toLowerCase();
  Runtime.install({
    logger: new TemporalPinoLogger(log),
    telemetryOptions: {
      ...(core ? { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } } : {}),
      // The SDK's own metrics (task slots, poll latencies, sticky cache, ...) in Prometheus form on this port.
      ...(metricsPort ? { metrics: { prometheus: { bindAddress: `127.0.0.1:${metricsPort}` } } } : {}),
    },
  });
}

/** Temporal's runtime, workflow and activity logs through the same logger (workflow ids are in their metadata). */
export class TemporalPinoLogger implements TemporalLogger {
  constructor(private readonly logger: Logger = log) {}

  log(level: LogLevel, message: string, meta: LogMetadata = {}): void {
    // Plain fields (workflowId, runId, activityType, attempt, state, ...) as they are; an error as type and message.
    const fields: Record<string, unknown> = { ...campaignOf(meta.workflowId) };
    for (const [key, value] of Object.entries(meta)) {
      if (value instanceof Error) fields.err = value;
      else if (['string', 'number', 'boolean'].includes(typeof value)) fields[key] = value;
    }
    this.logger[LEVELS[level]](fields, message);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

const LEVELS = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/** The campaign id inside a campaign workflow's id, if it is one. */
function campaignOf(workflowId: unknown): { campaignId?: string } {
  const campaignId = typeof workflowId === 'string' ? campaignIdOf(workflowId) : undefined;
  return campaignId ? { campaignId } : {};
}
