import { Liquid } from 'liquidjs';
import type { Contact } from '../../src/domain/types';
import { compileContent } from '../../src/templates';

/** A contact with the given attributes. */
function contact(attributes: Record<string, unknown>, email = 'ann@example.com'): Contact {
  return { id: 'c-1', email, phone: null, timezone: null, attributes, pushTokens: [], webPushSubscriptions: [] } as unknown as Contact;
}

const liquid = new Liquid({ ownPropertyOnly: true, strictFilters: true });

describe('rendering a message', () => {
  const templates = [
    'Hello {{ contact.first_name }}!',
    '{{contact.first_name}}{{ contact.last_name }}',
    'Hi {{\n  contact.first_name\n}}, your code is {{ contact.code }} ({{ contact.vip }}).',
    'no variables at all { } }} %}',
    '{{ contact.email }} / {{ contact.id }} / {{ contact.missing }}',
    'Hello {{ contact.first_name | upcase }}',
    'Hello {{- contact.first_name -}} !',
    '{% if contact.vip %}VIP {% endif %}{{ contact.first_name }}',
    '{{ contact.size }} {{ contact.first }}',
    'x { {{ contact.first_name }} } {',
    '{{ contact.tags }} {{ contact.cart }}',
    '{{ contact.first_name }}{% raw %}{{ contact.first_name }}{% endraw %}',
  ];
  const contacts = [
    contact({ first_name: 'Ann', last_name: 'Lee', code: 1234, vip: true, tags: ['a', 'b'], cart: { total: 3 } }),
    contact({ first_name: '', code: 0.5, vip: false, tags: [] }),
    contact({ first_name: null, size: 'big', first: 'yes' }),
    contact({ first_name: '{{ contact.code }}', code: 'not rendered twice' }),
    contact({ email: 'attribute@example.com', id: 'not-the-id', first_name: 'Eve' }),
    contact({}),
  ];

  test('prints for every template and contact exactly what Liquid prints', () => {
    for (const body of templates) {
      const compiled = compileContent({ channel: 'sms', body } as never);
      for (const c of contacts) {
        const scope = { contact: { ...c.attributes, id: c.id, email: c.email, phone: c.phone, timezone: c.timezone } };
        expect({ body, attributes: c.attributes, out: compiled.render(c).body }).toEqual({
          body,
          attributes: c.attributes,
          out: liquid.parseAndRenderSync(body, scope),
        });
      }
    }
  });

  test('a missing variable prints the fallback, in subject, body and HTML alike', () => {
    const compiled = compileContent({
      channel: 'email',
      subject: 'For {{ contact.first_name }}',
      body: 'Dear {{ contact.first_name }}, {{ contact.city }}',
      html: '<p>{{ contact.first_name | upcase }}</p>',
      fallback: 'friend',
    } as never);
    expect(compiled.render(contact({ city: 'Oslo' }))).toEqual({ subject: 'For friend', body: 'Dear friend, Oslo', html: '<p>FRIEND</p>' });
    expect(compiled.render(contact({ first_name: 'Bo', city: null }))).toEqual({ subject: 'For Bo', body: 'Dear Bo, friend', html: '<p>BO</p>' });
  });
});
