/**
 * Where account-configured providers may connect: public addresses only, over https (http in development or
 * to an allowed host), unless the operator lists the host (or host:port) in PROVIDER_ALLOWED_HOSTS. Names are
 * resolved once per connection and every address they resolve to is checked; the connection goes to a checked
 * address (pinned), so a name that changes its answer between the check and the connect gains nothing.
 */
import dns from 'node:dns';
import net, { BlockList, isIP } from 'node:net';
import { buildConnector } from 'undici';
import { InvalidInputError } from '../domain/errors';

/** Resolves a host name to all its addresses (dns.lookup unless a test or an operator injects another). */
export type ResolveAll = (hostname: string) => Promise<{ address: string; family: number }[]>;

/** The operator's rules for outbound provider connections. */
export interface EgressPolicy {
  /** `host` (any port) or `host:port` (`[v6]:port` for IPv6) reachable whatever its address. */
  allowedHosts: readonly string[];
  /** Plain http to any public host (development only); allowed hosts may always use it. */
  allowHttp?: boolean;
  resolve?: ResolveAll;
}

/** The policy that allows nothing private and only https. */
export const STRICT_EGRESS: EgressPolicy = { allowedHosts: [] };

/** A connection Herald refused to open; its message names no address and echoes nothing. */
export class EgressRefusedError extends Error {
  readonly code = 'EGRESS_REFUSED';
}

// Two lists: a BlockList matches IPv4 addresses against IPv6 rules too (as ::ffff:a.b.c.d), and ::ffff:0:0/96 is
// refused as IPv6 (a mapped address) without refusing every IPv4 address.
const blocked4 = new BlockList();
const blocked6 = new BlockList();
for (const [net4, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked4.addSubnet(net4, prefix, 'ipv4');
for (const [net6, prefix] of [
  // Unspecified, loopback, IPv4-compatible and IPv4-mapped (::ffff:127.0.0.1), IPv4/IPv6 translation, discard.
  ['::', 96], ['::ffff:0:0', 96], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64],
  // Teredo, documentation, 6to4 (each can carry a private IPv4), unique local (fd00:ec2::254 is EC2's metadata).
  ['2001::', 32], ['2001:db8::', 32], ['2002::', 16], ['fc00::', 7],
  // Link-local, site-local, multicast.
  ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) blocked6.addSubnet(net6, prefix, 'ipv6');
blocked6.addAddress('::1', 'ipv6');

/** True when `address` (an IP literal) is a public unicast address: not private, loopback, link-local, metadata. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return family === 4 ? !blocked4.check(address, 'ipv4') : !blocked6.check(address, 'ipv6');
}

const bare = (hostname: string) => hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();

/** True when the operator allows `hostname` on `port` whatever it resolves to. */
export function isAllowedHost(policy: EgressPolicy, hostname: string, port: number): boolean {
  const host = bare(hostname);
  return policy.allowedHosts.some((entry) => {
    const m = /^(\[[^\]]+\]|[^:]+|[0-9a-f:]+)(?::(\d+))?$/i.exec(entry.trim());
    if (!m) return false;
    // An unbracketed IPv6 literal has no port part.
    if (!m[1]!.startsWith('[') && m[1]!.includes(':')) return bare(entry.trim()) === host;
    return bare(m[1]!) === host && (m[2] === undefined || Number(m[2]) === port);
  });
}

/** Parses PROVIDER_ALLOWED_HOSTS: comma-separated `host`, `host:port` or `[v6]:port` entries. */
export function parseAllowedHosts(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

const REFUSED_ADDRESS = 'refused: the address is private, loopback, link-local or reserved (not in PROVIDER_ALLOWED_HOSTS)';

/** Resolves `hostname` and checks every address; throws EgressRefusedError when one of them is not public. */
export async function resolvePublic(policy: EgressPolicy, hostname: string): Promise<{ address: string; family: number }[]> {
  const host = bare(hostname);
  if (isIP(host)) {
    if (!isPublicAddress(host)) throw new EgressRefusedError(REFUSED_ADDRESS);
    return [{ address: host, family: isIP(host) }];
  }
  const resolve = policy.resolve ?? ((h: string) => dns.promises.lookup(h, { all: true, verbatim: true }));
  const addresses = await resolve(host);
  if (addresses.length === 0) throw Object.assign(new Error('host not found'), { code: 'ENOTFOUND' });
  if (addresses.some((a) => !isPublicAddress(a.address))) throw new EgressRefusedError(REFUSED_ADDRESS);
  return addresses;
}

const defaultPort = (protocol: string) => (protocol === 'https:' ? 443 : 80);

/**
 * The reason `url` may not be fetched, from what it says alone (scheme, and the address when it is an IP
 * literal), or undefined when it may (names are checked again at every connection).
 */
export function urlRefusal(policy: EgressPolicy, url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be a URL';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'must be an http(s) URL';
  if (parsed.username || parsed.password) return 'must not carry credentials';
  const port = parsed.port ? Number(parsed.port) : defaultPort(parsed.protocol);
  if (isAllowedHost(policy, parsed.hostname, port)) return undefined;
  if (parsed.protocol === 'http:' && !policy.allowHttp) return 'must be an https URL';
  const host = bare(parsed.hostname);
  if (host === 'localhost' || host.endsWith('.localhost')) return REFUSED_ADDRESS;
  if (isIP(host) && !isPublicAddress(host)) return REFUSED_ADDRESS;
  return undefined;
}

/**
 * Checks a URL setting at save: its scheme, and every address its host resolves to now (a name that does not
 * resolve yet is accepted: it is checked again when a message goes out). Throws a 400 naming `field`.
 */
export async function checkUrlSetting(policy: EgressPolicy, url: string, field: string): Promise<void> {
  const refusal = urlRefusal(policy, url);
  if (refusal) throw InvalidInputError.field(field, refusal);
  const parsed = new URL(url);
  const port = parsed.port ? Number(parsed.port) : defaultPort(parsed.protocol);
  if (isAllowedHost(policy, parsed.hostname, port)) return;
  await checkHostNow(policy, parsed.hostname, field);
}

/** Checks an SMTP host and port at save (like `checkUrlSetting`); public relays only on the mail ports. */
export async function checkSmtpSetting(policy: EgressPolicy, host: string, port: number, field: string): Promise<void> {
  if (isAllowedHost(policy, host, port)) return;
  if (![25, 465, 587, 2525].includes(port)) {
    throw InvalidInputError.field(`${field.replace(/host$/, 'port')}`, 'must be 25, 465, 587 or 2525 (other ports only for a host in PROVIDER_ALLOWED_HOSTS)');
  }
  const h = bare(host);
  if (h === 'localhost' || h.endsWith('.localhost') || (isIP(h) && !isPublicAddress(h))) throw InvalidInputError.field(field, REFUSED_ADDRESS);
  await checkHostNow(policy, host, field);
}

async function checkHostNow(policy: EgressPolicy, hostname: string, field: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      resolvePublic(policy, hostname),
      new Promise((resolve) => (timer = setTimeout(resolve, 2_000))),
    ]);
  } catch (err) {
    if (err instanceof EgressRefusedError) throw InvalidInputError.field(field, err.message);
    // Not resolvable now: checked again at every connection.
  } finally {
    clearTimeout(timer);
  }
}

type Connector = ReturnType<typeof buildConnector>;

/**
 * An undici connector that enforces `policy` on every connection: scheme, allowed hosts, and a lookup that
 * refuses names resolving to a non-public address and hands the socket only checked addresses.
 */
export function guardedConnector(policy: EgressPolicy, tls: buildConnector.BuildOptions = {}): Connector {
  const lookup: net.LookupFunction = (hostname, options, callback) => {
    resolvePublic(policy, hostname).then(
      (addresses) => {
        if ((options as dns.LookupOptions).all) (callback as unknown as (e: null, a: typeof addresses) => void)(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
  const open = buildConnector({ ...tls, lookup } as buildConnector.BuildOptions);
  const direct = buildConnector(tls);
  return (options, callback) => {
    const port = Number(options.port) || defaultPort(options.protocol);
    if (isAllowedHost(policy, options.hostname, port)) return direct(options, callback);
    if (options.protocol !== 'https:' && !policy.allowHttp) {
      return callback(new EgressRefusedError('refused: only https'), null);
    }
    const host = bare(options.hostname);
    // net.connect skips the lookup for IP literals, so those are checked here.
    if (isIP(host) && !isPublicAddress(host)) return callback(new EgressRefusedError(REFUSED_ADDRESS), null);
    return open(options, callback);
  };
}
