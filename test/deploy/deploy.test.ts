/**
 * Deployment: the API and a worker process answer the health and readiness paths probes use; the worker's metrics
 * port carries Herald's and the Temporal SDK's metrics; CORS lets only configured origins' pages call the API; and
 * every variable, port and probe path the Kubernetes manifests and docker-compose name exists in the code.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { parseAllDocuments } from 'yaml';
import { CONFIG_VARIABLES } from '../../src/config';
import { HEALTH_PATH, READY_PATH } from '../../src/observability/health';
import { registry } from '../../src/observability/metrics';
import { openStore } from '../../src/store';
import { workerLaunch } from '../helpers/worker-launch';
import { createTestDatabase, eventually, openTestStore, startApi, taskQueueFor, temporalAddress, workflowBundlePath } from '../helpers';

const ROOT = path.resolve(__dirname, '../..');

/** A port nobody listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

describe('the API', () => {
  test('answers /healthz, and /readyz once its store and Temporal answer (503 naming the store when it does not); CORS by configuration', async () => {
    const store = await openTestStore('embedded');
    const api = await startApi({ title: 'deploy-ready', store, corsOrigins: ['https://app.example.com'] });
    try {
      expect((await request(api.app).get(HEALTH_PATH).expect(200)).body).toEqual({ ok: true });
      expect((await request(api.app).get(READY_PATH).expect(200)).body).toEqual({ ready: true, checks: { store: 'ok', temporal: 'ok' } });

      // CORS: the configured origin's page may call it (preflight first, without a key), others get no CORS headers.
      const preflight = await request(api.app)
        .options('/v1/campaigns')
        .set('Origin', 'https://app.example.com')
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'authorization, content-type')
        .expect(204);
      expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(preflight.headers['access-control-allow-headers']).toMatch(/Authorization/);
      const allowed = await request(api.app).get('/v1/campaigns').set('Origin', 'https://app.example.com').expect(401);
      expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(allowed.headers['access-control-expose-headers']).toMatch(/X-Request-Id/);
      const other = await request(api.app).get('/v1/campaigns').set('Origin', 'https://evil.example.com').expect(401);
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
      expect(other.headers.vary).toMatch(/Origin/);

      // Without origins configured, no CORS headers at all.
      const plain = await startApi({ title: 'deploy-nocors', store });
      const res = await request(plain.app).options('/v1/campaigns').set('Origin', 'https://app.example.com').set('Access-Control-Request-Method', 'GET');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      await plain.stop();

      await store.close();
      const down = await request(api.app).get(READY_PATH).expect(503);
      expect(down.body.ready).toBe(false);
      expect(down.body.checks.temporal).toBe('ok');
      expect(down.body.checks.store).not.toBe('ok');
      await request(api.app).get(HEALTH_PATH).expect(200);
    } finally {
      await api.stop();
    }
  });
});

describe('a worker process', () => {
  let worker: ChildProcess | undefined;
  afterAll(() => {
    worker?.kill('SIGTERM');
  });

  test('serves /healthz, /readyz and /metrics with Herald\'s and the Temporal SDK\'s metrics on METRICS_PORT', async () => {
    const db = await createTestDatabase();
    // The worker migrates nothing: the API (or npm start) creates the schema, as here.
    await (await openStore({ databaseUrl: db.url })).close();
    const port = await freePort();
    let output = '';
    worker = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        TEMPORAL_ADDRESS: temporalAddress(),
        WORKFLOW_BUNDLE: workflowBundlePath(),
        TASK_QUEUE: taskQueueFor('deploy-worker'),
        METRICS_PORT: String(port),
        TEMPORAL_METRICS_PORT: String(await freePort()),
        LOG_LEVEL: 'WARN',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    worker.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    try {
      const base = `http://127.0.0.1:${port}`;
      const ready = await eventually(async () => {
        const res = await fetch(`${base}${READY_PATH}`).catch(() => undefined);
        return res?.ok ? ((await res.json()) as unknown) : undefined;
      }, 60_000, 200);
      expect(ready).toEqual({ ready: true, checks: { worker: 'ok', store: 'ok' } });
      expect(output).toContain(`${HEALTH_PATH} and ${READY_PATH} on 127.0.0.1:${port}`);
      expect(await (await fetch(`${base}${HEALTH_PATH}`)).json()).toEqual({ ok: true });
      const metrics = await eventually(async () => {
        const text = await (await fetch(`${base}/metrics`)).text();
        return /^temporal_\w+/m.test(text) ? text : undefined;
      }, 30_000, 500);
      expect(metrics).toMatch(/^# HELP herald_/m);
      expect(metrics).toMatch(/^temporal_(worker_start|num_pollers|request)/m);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nworker output:\n${output}`, { cause: err });
    } finally {
      worker.kill('SIGTERM');
      await new Promise((resolve) => worker!.once('exit', resolve));
      worker = undefined;
      await db.drop();
    }
  });
});

interface Probe {
  httpGet: { path: string; port: string | number };
}
interface Container {
  command: string[];
  ports: { name: string; containerPort: number }[];
  env?: { name: string; value?: string }[];
  livenessProbe: Probe;
  readinessProbe: Probe;
}
/** The parts of Kubernetes objects the checks read. */
interface K8sObject {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec: {
    selector: Record<string, string> & { matchLabels?: Record<string, string> };
    ports: { port: number; targetPort: string | number }[];
    template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: { containers: Container[] } };
  };
}

/** Every Kubernetes object in deploy/k8s. */
function manifests(): K8sObject[] {
  const dir = path.join(ROOT, 'deploy', 'k8s');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJS() as K8sObject));
}

describe('the Kubernetes manifests (deploy/k8s) and docker-compose', () => {
  const objects = manifests();
  const kinds = (kind: string) => objects.filter((o) => o.kind === kind);

  test('have an API and a worker Deployment, a Service, probes and a ConfigMap', () => {
    expect(kinds('Deployment').map((d) => d.metadata.name).sort()).toEqual(['herald-api', 'herald-worker']);
    expect(kinds('Service').length).toBeGreaterThanOrEqual(1);
    expect(kinds('ConfigMap')).toHaveLength(1);
    for (const d of kinds('Deployment')) {
      const [container] = d.spec.template.spec.containers;
      expect(container!.livenessProbe.httpGet.path).toBeDefined();
      expect(container!.readinessProbe.httpGet.path).toBeDefined();
    }
  });

  test('name only variables Herald reads (src/config.ts)', () => {
    const named = [
      ...kinds('ConfigMap').flatMap((c) => Object.keys(c.data ?? {})),
      ...kinds('Secret').flatMap((s) => Object.keys({ ...s.stringData, ...s.data })),
      ...kinds('Deployment').flatMap((d) => d.spec.template.spec.containers.flatMap((c) => (c.env ?? []).map((e) => e.name))),
    ];
    const compose = parseAllDocuments(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true })[0]!.toJS() as { services: Record<string, { build?: string; environment?: Record<string, string> }> };
    for (const [name, service] of Object.entries(compose.services)) {
      if (name.startsWith('herald-') && service.build) named.push(...Object.keys(service.environment ?? {}));
    }
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((n) => !CONFIG_VARIABLES.includes(n))).toEqual([]);
  });

  test('the Docker image starts the worker with the Node flags and environment of npm run worker', () => {
    const { nodeArgs, env } = workerLaunch();
    expect(nodeArgs.length).toBeGreaterThan(0);
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain(`CMD ${JSON.stringify(['node', ...nodeArgs, 'dist/worker.js']).replaceAll(',', ', ')}`);
    for (const [name, value] of Object.entries(env)) expect(dockerfile).toContain(`ENV ${name}=${value}`);
  });

  test("name ports the processes listen on, probe paths they serve, and files they run", () => {
    for (const d of kinds('Deployment')) {
      const pod = d.spec.template;
      const [container] = pod.spec.containers;
      const env = Object.fromEntries((container!.env ?? []).map((e) => [e.name, e.value]));
      // The API listens on PORT (3000 by default); a worker on METRICS_PORT.
      const listens = d.metadata.name === 'herald-api' ? Number(env.PORT ?? 3000) : Number(env.METRICS_PORT);
      expect(container!.ports.map((p) => p.containerPort)).toEqual([listens]);
      const portNames = new Map<string | number, number>(container!.ports.map((p) => [p.name, p.containerPort]));
      for (const probe of [container!.livenessProbe, container!.readinessProbe]) {
        expect(portNames.has(probe.httpGet.port) || [...portNames.values()].includes(Number(probe.httpGet.port))).toBe(true);
      }
      expect(container!.livenessProbe.httpGet.path).toBe(HEALTH_PATH);
      expect(container!.readinessProbe.httpGet.path).toBe(READY_PATH);
      expect(Number(pod.metadata.annotations['prometheus.io/port'])).toBe(listens);
      expect(pod.metadata.annotations['prometheus.io/path']).toBe('/metrics');
      // The image holds the compiled JavaScript (dist/, built from src/), and a worker starts as `npm run worker` does.
      const script = container!.command.find((a) => a.startsWith('dist/'));
      expect(script && existsSync(path.join(ROOT, script.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts')))).toBe(true);
      if (d.metadata.name === 'herald-worker') expect(container!.command).toEqual(['node', ...workerLaunch().nodeArgs, 'dist/worker.js']);
      // Each Service in front of these pods targets one of their ports.
      for (const s of kinds('Service').filter((svc) => Object.entries(svc.spec.selector).every(([k, v]) => pod.metadata.labels[k] === v))) {
        for (const p of s.spec.ports) expect(portNames.has(p.targetPort) || [...portNames.values()].includes(Number(p.targetPort))).toBe(true);
      }
    }
  });
});

test("the Grafana dashboard (deploy/grafana/herald.json) charts Herald's metrics by the names Herald registers", async () => {
  const dashboard = JSON.parse(readFileSync(path.join(ROOT, 'deploy', 'grafana', 'herald.json'), 'utf8')) as { panels: { targets: { expr: string }[] }[] };
  const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
  const used = new Set(exprs.flatMap((e) => e.match(/\bherald_\w+/g) ?? []).map((m) => m.replace(/_(bucket|sum|count)$/, '')));
  const registered = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
  expect(used.size).toBeGreaterThanOrEqual(5);
  expect([...used].filter((m) => !registered.has(m))).toEqual([]);
  expect(exprs.some((e) => /\btemporal_\w+/.test(e))).toBe(true);
});

describe('the terminal', () => {
  /** What one log line looks like with LOG_FORMAT set to `format` (unset: the default). */
  function logLine(format: string | undefined): string {
    const env = { ...process.env, LOG_LEVEL: 'INFO' } as NodeJS.ProcessEnv;
    delete env.LOG_FORMAT;
    if (format) env.LOG_FORMAT = format;
    const script = "const { log } = require('./src/observability/log'); log.info({ campaignId: 'cmp_1', workflowId: 'campaign-cmp_1' }, 'campaign Sending'); log.flush?.();";
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, env, encoding: 'utf8' });
    return r.stdout.trim();
  }

  test('logs are JSON lines by default (production), and one short readable line with LOG_FORMAT=pretty (npm start)', () => {
    expect(JSON.parse(logLine(undefined))).toMatchObject({ level: 30, msg: 'campaign Sending', campaignId: 'cmp_1', service: 'herald' });
    const pretty = logLine('pretty');
    expect(pretty).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: campaign Sending \{"campaignId":"cmp_1"\}$/);
    expect(pretty).not.toContain('workflowId');
    expect(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).toContain('"start": "LOG_FORMAT=${LOG_FORMAT:-pretty} tsx src/cli/start.ts"');
  });
});
