/**
 * Message templates: Liquid (`Hello {{ contact.first_name | default: "there" }}`), parsed once, rendered per contact.
 *
 * No template may block the event loop. At save, each is rendered off the event loop (a worker thread with a hard
 * stop) for worst-case contacts: every `contact.*` variable it reads set to the largest list, number or text an
 * attribute may hold; one that needs more than TEMPLATE_LIMITS.budgetSteps is refused. A template that passed renders
 * every real contact (whose attributes are no larger) within that budget, so sending renders it synchronously
 * (`compileContent`), with Liquid's own limits as a backstop for templates saved before the check. Previews, which
 * render whatever a stored campaign holds, go through the worker (`renderIsolated`).
 */
import { Worker } from 'node:worker_threads';
import { Liquid, type Template } from 'liquidjs';
import type { ChannelContent, Contact } from './domain/types';

/** Liquid tags that load other templates (from files): a message may use only its own text and `contact.*`. */
export const REFUSED_TAGS = ['include', 'render', 'layout'] as const;

/** Bounds on one template, for parsing and for each render (a template is data from an API caller). */
export const TEMPLATE_LIMITS = {
  /** Characters parsed in one template (the API's field limits are lower still). */
  parseChars: 1_000_000,
  /** Milliseconds one synchronous render may take (the backstop; templates checked at save take budgetMs). */
  renderMs: 100,
  /**
   * A message's render budget, checked at save off the event loop for worst-case contacts: in Liquid render steps
   * (one per template node rendered, counted, so the check does not depend on how busy the machine is), about
   * 1 µs each on a server core: some 10 ms. (Filters are bounded by `memory`, which Liquid counts too.)
   */
  budgetSteps: 10_000,
  /** When the worker thread is stopped however far a render got (Liquid stops itself at budgetSteps first). */
  hardStopMs: 250,
  /** The size of the worst-case contact's attribute values: what fits in a contact's 64 KB of attributes. */
  worstCaseItems: 8_000,
  /** Liquid's memory units (string and array sizes it creates) one render may use: about 10 MB of text. */
  memory: 10_000_000,
} as const;

/**
 * The Liquid engine Herald renders with (the worker thread builds the same one, with `renderMs` lower). The worker
 * thread evaluates this function's source, so it reads nothing but its parameters: a compiler may rewrite a
 * module's own names (tsc's CommonJS output reads `exports.TEMPLATE_LIMITS`), and the thread has none of them.
 */
function engine(renderMs: number, LiquidClass: typeof Liquid, limits: typeof TEMPLATE_LIMITS, refusedTags: readonly string[]): Liquid {
  const liquid = new LiquidClass({
    ownPropertyOnly: true,
    strictFilters: true,
    // No file system: even a lookup the tags below missed finds nothing.
    templates: {},
    parseLimit: limits.parseChars,
    renderLimit: renderMs,
    memoryLimit: limits.memory,
  });
  for (const tag of refusedTags) {
    liquid.registerTag(tag, {
      parse() {
        throw new Error(`the ${tag} tag is not allowed: a message template may use only its own text and contact variables`);
      },
      render() {},
    });
  }
  return liquid;
}

const liquid = engine(TEMPLATE_LIMITS.renderMs, Liquid, TEMPLATE_LIMITS, REFUSED_TAGS);

/** What a channel's templates render to for one contact. */
export interface Rendered {
  subject?: string;
  body: string;
  html?: string;
}

/** A channel's content compiled for fast rendering. */
export interface CompiledContent {
  render(contact: Contact): Rendered;
}

/** Parses a template; throws with Liquid's message when it is broken or uses a refused tag. */
export function parseTemplate(source: string): Template[] {
  return liquid.parse(source);
}

/**
 * Parses a template and renders it once for a contact with no fields, within the render limits: throws when
 * it does not parse, uses a refused tag, or needs more time or memory than a message may (a loop bomb).
 */
export function checkTemplate(source: string): void {
  liquid.renderSync(parseTemplate(source), { contact: {} });
}

/**
 * Compiles subject, body and HTML once. Rendering exposes `contact.*` (attributes plus id, email, phone,
 * timezone); a `contact.*` variable the contact lacks renders as the content's `fallback` (empty by default).
 */
export function compileContent(content: ChannelContent): CompiledContent {
  const parts = {
    body: parseTemplate(content.body),
    ...(content.subject === undefined ? {} : { subject: parseTemplate(content.subject) }),
    ...(content.html === undefined ? {} : { html: parseTemplate(content.html) }),
  };
  const fields = contactFields(Object.values(parts));
  const fallback = content.fallback ?? '';
  const body = renderer(content.body, parts.body, fallback);
  const subject = parts.subject && renderer(content.subject!, parts.subject, fallback);
  const html = parts.html && renderer(content.html!, parts.html, fallback);
  return {
    render(contact) {
      let scope: Scope | undefined;
      const scopeOfContact = () => (scope ??= scopeOf(contact, fields, fallback));
      const out: Rendered = { body: body(contact, scopeOfContact) };
      if (subject) out.subject = subject(contact, scopeOfContact);
      if (html) out.html = html(contact, scopeOfContact);
      return out;
    },
  };
}

type Scope = { contact: Record<string, unknown> };

/** The contact's own fields a template sees as `contact.*`, over any attribute of the same name. */
const CONTACT_FIELDS = ['id', 'email', 'phone', 'timezone'] as const;

/**
 * A template that is only text and plain `{{ contact.name }}` outputs (most messages) has its text pieces and names.
 * Anything else (filters, tags, whitespace control, `size`/`first`/`last`, which Liquid computes) has none.
 */
const PLAIN_OUTPUT = /\{\{\s*contact\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const COMPUTED = new Set(['size', 'first', 'last']);

function plainParts(source: string): { texts: string[]; names: string[] } | undefined {
  const texts: string[] = [];
  const names: string[] = [];
  let at = 0;
  for (const m of source.matchAll(PLAIN_OUTPUT)) {
    texts.push(source.slice(at, m.index));
    names.push(m[1]!);
    at = m.index + m[0].length;
  }
  texts.push(source.slice(at));
  if (texts.some((t) => t.includes('{{') || t.includes('{%')) || names.some((n) => COMPUTED.has(n))) return undefined;
  return { texts, names };
}

/** What `contact.<name>` is for a template (as `scopeOf` makes it), without building the whole scope. */
function valueOf(contact: Contact, name: string, fallback: string): unknown {
  let value: unknown;
  if ((CONTACT_FIELDS as readonly string[]).includes(name)) value = contact[name as (typeof CONTACT_FIELDS)[number]];
  else if (Object.hasOwn(contact.attributes, name)) value = contact.attributes[name];
  return (value === undefined || value === null) && fallback !== '' ? fallback : value;
}

/**
 * Renders one template: a plain one by joining its pieces (what Liquid would print for text, numbers, booleans and
 * nothing), else, and for any other value, through Liquid over the contact's scope.
 */
function renderer(source: string, parsed: Template[], fallback: string): (contact: Contact, scope: () => Scope) => string {
  const byLiquid = (scope: Scope) => liquid.renderSync(parsed, scope) as string;
  const plain = plainParts(source);
  if (!plain) return (_contact, scope) => byLiquid(scope());
  const { texts, names } = plain;
  return (contact, scope) => {
    let out = texts[0]!;
    for (let i = 0; i < names.length; i++) {
      const value = valueOf(contact, names[i]!, fallback);
      if (typeof value === 'string') out += value;
      else if (typeof value === 'number' || typeof value === 'boolean') out += String(value);
      else if (value !== undefined && value !== null) return byLiquid(scope());
      out += texts[i + 1]!;
    }
    return out;
  };
}

/** The `contact.*` paths templates read, found by static analysis (`contact.cart.total` is `['cart', 'total']`). */
function contactPaths(templates: Template[][]): (string | number)[][] {
  const paths: (string | number)[][] = [];
  for (const template of templates) {
    for (const segments of liquid.globalVariableSegmentsSync(template)) {
      if (segments[0] === 'contact' && segments.length > 1) paths.push(segments.slice(1).filter((s) => typeof s !== 'object') as (string | number)[]);
    }
  }
  return paths;
}

function contactFields(templates: Template[][]): Set<string> {
  return new Set(contactPaths(templates).map((p) => String(p[0])));
}

/** What a template sees as `contact`: attributes plus id, email, phone, timezone; missing fields as `fallback`. */
function scopeOf(contact: Contact, fields: Set<string>, fallback = ''): Scope {
  const values: Record<string, unknown> = { ...contact.attributes };
  for (const f of CONTACT_FIELDS) values[f] = contact[f];
  if (fallback !== '') for (const f of fields) if (values[f] === undefined || values[f] === null) values[f] = fallback;
  return { contact: values };
}

/** A render over its budget (or stopped by the hard stop). */
export class RenderBudgetError extends Error {}

/** The worker thread's code: the same engine, with the budget as its render limit; renders what it is sent. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const { Liquid } = require(workerData.liquidjs);
const engine = (${engine.toString()});
const TEMPLATE_LIMITS = workerData.limits;
const REFUSED_TAGS = workerData.refusedTags;
// Liquid's render limit reads the clock once per node it renders: in this thread the clock counts those calls,
// so the limit is a number of steps, the same however busy the machine is.
let steps = 0;
Object.defineProperty(globalThis, 'performance', { value: { now: () => steps++ }, configurable: true, writable: true });
const liquid = engine(TEMPLATE_LIMITS.budgetSteps, Liquid, TEMPLATE_LIMITS, REFUSED_TAGS);
parentPort.on('message', ({ id, sources, scopes }) => {
  try {
    const parsed = Object.entries(sources).map(([k, s]) => [k, liquid.parse(s)]);
    const once = (scope) => {
      const began = performance.now();
      try {
        const out = {};
        for (const [k, t] of parsed) out[k] = liquid.renderSync(t, scope);
        return { out, ms: performance.now() - began };
      } catch (err) {
        return { error: String(err && err.message), ms: performance.now() - began };
      }
    };
    const results = scopes.map(once);
    parentPort.postMessage({ id, results });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message) });
  }
});
`;

interface Job {
  id: number;
  sources: Record<string, string>;
  scopes: unknown[];
  resolve(results: { out?: Record<string, string>; error?: string; ms: number }[]): void;
  reject(err: Error): void;
}

/**
 * One worker thread per process, made on first use, running one job at a time: a job still running after
 * `hardStopMs` terminates the thread (the next job gets a new one). Unref'd: it never keeps a process alive.
 */
class RenderPool {
  private worker: Worker | undefined;
  private readonly queue: Job[] = [];
  private running: { job: Job; timer: NodeJS.Timeout } | undefined;
  private nextId = 1;

  run(sources: Record<string, string>, scopes: unknown[]): Promise<{ out?: Record<string, string>; error?: string; ms: number }[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, sources, scopes, resolve, reject });
      this.pump();
    });
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { liquidjs: require.resolve('liquidjs'), limits: TEMPLATE_LIMITS, refusedTags: REFUSED_TAGS },
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
    });
    worker.on('message', (msg: { id: number; results?: never; error?: string }) => {
      const current = this.running;
      if (!current || current.job.id !== msg.id) return;
      clearTimeout(current.timer);
      this.running = undefined;
      if (msg.results) current.job.resolve(msg.results);
      else current.job.reject(new Error(msg.error ?? 'render failed'));
      this.pump();
    });
    worker.on('error', (err) => this.lost(worker, err));
    worker.on('exit', () => this.lost(worker, new RenderBudgetError('render stopped')));
    // After the listeners (adding one refs the thread again): an idle thread keeps no process alive; a job's
    // hard-stop timer keeps it alive while the job runs.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private lost(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    const current = this.running;
    this.running = undefined;
    if (current) {
      clearTimeout(current.timer);
      current.job.reject(err);
    }
    this.pump();
  }

  private pump(): void {
    if (this.running) return;
    const job = this.queue.shift();
    if (!job) return;
    const worker = this.thread();
    const timer = setTimeout(() => {
      this.worker = undefined;
      this.running = undefined;
      void worker.terminate();
      job.reject(new RenderBudgetError(`render budget exceeded: stopped after ${TEMPLATE_LIMITS.hardStopMs} ms`));
      this.pump();
    }, TEMPLATE_LIMITS.hardStopMs * Math.max(1, job.scopes.length));
    this.running = { job, timer };
    worker.postMessage({ id: job.id, sources: job.sources, scopes: job.scopes });
  }
}

const pool = new RenderPool();

const overBudget = (r: { error?: string; ms: number }) => /limit exceeded/i.test(r.error ?? '');

/**
 * Worst-case contacts for templates reading `paths`: each path set to the longest list, the largest number, then
 * the longest text an attribute may hold (loops over lists and ranges, and filters over text, at their most).
 */
function worstCaseScopes(paths: (string | number)[][]): unknown[] {
  const n = TEMPLATE_LIMITS.worstCaseItems;
  const leaves: unknown[] = [Array.from({ length: n }, (_, i) => `item-${i}`), Number.MAX_SAFE_INTEGER, 'x'.repeat(n * 8)];
  return leaves.map((leaf) => {
    const contact: Record<string, unknown> = {};
    for (const path of paths) {
      let node = contact;
      path.forEach((segment, i) => {
        const k = String(segment);
        if (i === path.length - 1) node[k] ??= leaf;
        else {
          const next = node[k];
          node = (next && typeof next === 'object' && !Array.isArray(next) ? next : (node[k] = {})) as Record<string, unknown>;
        }
      });
    }
    return { contact };
  });
}

/**
 * Renders `source` off the event loop for worst-case contacts; resolves with a problem (for a 400) when one of
 * them needs more than the budget, else undefined. Templates that do not parse are the schema's to refuse.
 */
export async function templateCostProblem(source: string): Promise<string | undefined> {
  let paths: (string | number)[][];
  try {
    paths = contactPaths([parseTemplate(source)]);
  } catch {
    return undefined;
  }
  const scopes = worstCaseScopes(paths);
  let results;
  try {
    results = await pool.run({ t: source }, scopes);
  } catch (err) {
    if (!(err instanceof RenderBudgetError)) throw err;
    results = [{ ms: Number.POSITIVE_INFINITY }];
  }
  if (results.some(overBudget)) {
    return `template too expensive to render: a contact whose attributes are as large as allowed takes more than the budget of ${TEMPLATE_LIMITS.budgetSteps} render steps (about 10 ms; bound loops over a contact's lists with limit:)`;
  }
  return undefined;
}

/** Renders a channel's content for one contact off the event loop, within the budget (for previews). */
export async function renderIsolated(content: ChannelContent, contact: Contact): Promise<Rendered> {
  const sources: Record<string, string> = { body: content.body };
  if (content.subject !== undefined) sources.subject = content.subject;
  if (content.html !== undefined) sources.html = content.html;
  const fields = contactFields(Object.values(sources).map((s) => parseTemplate(s)));
  const [result] = await pool.run(sources, [scopeOf(contact, fields, content.fallback)]);
  if (!result || result.error !== undefined || !result.out) {
    throw new RenderBudgetError(result?.error && !/limit exceeded/i.test(result.error) ? result.error : `render budget of ${TEMPLATE_LIMITS.budgetSteps} steps exceeded`);
  }
  return result.out as unknown as Rendered;
}
