/** Message templates: Liquid (`Hello {{ contact.first_name | default: "there" }}`), parsed once, rendered per contact. */
import { Liquid, type Template } from 'liquidjs';
import type { ChannelContent, Contact } from './domain/types';

const liquid = new Liquid({ ownPropertyOnly: true, strictFilters: true });

/** A channel's content compiled for fast rendering. */
export interface CompiledContent {
  render(contact: Contact): { subject?: string; body: string };
}

/** Parses a template; throws with Liquid's message when it is broken. */
export function parseTemplate(source: string): Template[] {
  return liquid.parse(source);
}

/** Compiles subject and body once; rendering exposes `contact.*` (attributes plus id, email, phone, timezone). */
export function compileContent(content: ChannelContent): CompiledContent {
  const body = parseTemplate(content.body);
  const subject = content.subject === undefined ? undefined : parseTemplate(content.subject);
  return {
    render(contact) {
      const scope = {
        contact: { ...contact.attributes, id: contact.id, email: contact.email, phone: contact.phone, timezone: contact.timezone },
      };
      return {
        body: liquid.renderSync(body, scope) as string,
        ...(subject ? { subject: liquid.renderSync(subject, scope) as string } : {}),
      };
    },
  };
}
