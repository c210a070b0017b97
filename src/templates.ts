/** Message templates: Liquid (`Hello {{ contact.first_name | default: "there" }}`), parsed once, rendered per contact. */
import { Liquid, type Template } from 'liquidjs';
import type { ChannelContent, Contact } from './domain/types';

/** Liquid tags that load other templates (from files): a message may use only its own text and `contact.*`. */
export const REFUSED_TAGS = ['include', 'render', 'layout'] as const;

/** Bounds on one template, for parsing and for each render (a template is data from an API caller). */
export const TEMPLATE_LIMITS = {
  /** Characters parsed in one template (the API's field limits are lower still). */
  parseChars: 1_000_000,
  /** Milliseconds one render may take. */
  renderMs: 500,
  /** Liquid's memory units (string and array sizes it creates) one render may use: about 10 MB of text. */
  memory: 10_000_000,
} as const;

const liquid = new Liquid({
  ownPropertyOnly: true,
  strictFilters: true,
  // No file system: even a lookup the tags below missed finds nothing.
  templates: {},
  parseLimit: TEMPLATE_LIMITS.parseChars,
  renderLimit: TEMPLATE_LIMITS.renderMs,
  memoryLimit: TEMPLATE_LIMITS.memory,
});
for (const tag of REFUSED_TAGS) {
  liquid.registerTag(tag, {
    parse() {
      throw new Error(`the ${tag} tag is not allowed: a message template may use only its own text and contact variables`);
    },
    render() {},
  });
}

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
  // The contact fields the templates read, found once by static analysis.
  const fields = new Set<string>();
  for (const template of Object.values(parts)) {
    for (const segments of liquid.globalVariableSegmentsSync(template)) {
      if (segments[0] === 'contact' && typeof segments[1] === 'string') fields.add(segments[1]);
    }
  }
  const fallback = content.fallback ?? '';
  return {
    render(contact) {
      const values: Record<string, unknown> = {
        ...contact.attributes,
        id: contact.id,
        email: contact.email,
        phone: contact.phone,
        timezone: contact.timezone,
      };
      if (fallback !== '') for (const f of fields) if (values[f] === undefined || values[f] === null) values[f] = fallback;
      const scope = { contact: values };
      const out: Rendered = { body: liquid.renderSync(parts.body, scope) as string };
      if (parts.subject) out.subject = liquid.renderSync(parts.subject, scope) as string;
      if (parts.html) out.html = liquid.renderSync(parts.html, scope) as string;
      return out;
    },
  };
}
