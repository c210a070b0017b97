/** Parsing of a sender such as `"Acme News" <news@acme.example>`, shared by the email API providers. */

/** A sender's address and display name. */
export interface Sender {
  email: string;
  name?: string;
}

/** Splits `"Name" <address>` (or a bare address) into its parts. */
export function parseSender(from: string): Sender {
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(from);
  if (!m) return { email: from.trim() };
  return m[1] ? { email: m[2]!.trim(), name: m[1].trim() } : { email: m[2]!.trim() };
}

/** The List-Unsubscribe headers of a message (RFC 8058 one-click), when it has an unsubscribe URL. */
export function unsubscribeHeaders(url: string | undefined): Record<string, string> {
  return url ? { 'List-Unsubscribe': `<${url}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } : {};
}
