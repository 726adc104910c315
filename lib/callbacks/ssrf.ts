/**
 * The SSRF rule for callback URLs (DESIGN.md): http(s) only, and the host must resolve to public
 * addresses — never private, loopback (unless the deployment allows it), link-local (cloud metadata),
 * unspecified, unique-local, multicast or reserved ones, in IPv4, IPv6 or IPv6 forms embedding IPv4.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Options of `checkCallbackUrl`: deployment settings, and a resolver tests can replace. */
export interface CallbackUrlOptions {
  /** The local runtime delivers to app servers on localhost. */
  allowLoopback: boolean;
  /** Host names (exact, case-insensitive) trusted without an address check: the deployment's allowed callback hosts. */
  allowedHosts: readonly string[];
  /** All addresses of a host name; defaults to the system resolver (`dns.lookup`, all families). */
  resolve?: (host: string) => Promise<string[]>;
}

/** The verdict on a callback URL; `reason` names the refused address and its class. */
export type CallbackUrlVerdict = { ok: true } | { ok: false; reason: string };

type Family = 'ipv4' | 'ipv6';
interface Rule {
  cidr: string;
  /** The address class the reason names. */
  kind: string;
  note?: string;
  list: BlockList;
}

/** Refused ranges, first match wins (so the metadata address is named as such before link-local). */
const RULES: Rule[] = (
  [
    ['0.0.0.0/32', 'unspecified'],
    ['::/128', 'unspecified'],
    ['127.0.0.0/8', 'loopback'],
    ['::1/128', 'loopback'],
    ['169.254.169.254/32', 'link-local', 'cloud metadata endpoint'],
    ['fd00:ec2::254/128', 'unique-local', 'cloud metadata endpoint'],
    ['169.254.0.0/16', 'link-local'],
    ['fe80::/10', 'link-local'],
    ['10.0.0.0/8', 'private'],
    ['172.16.0.0/12', 'private'],
    ['192.168.0.0/16', 'private'],
    ['100.64.0.0/10', 'private', 'CGNAT shared address space'],
    ['fc00::/7', 'unique-local'],
    ['224.0.0.0/4', 'multicast'],
    ['ff00::/8', 'multicast'],
    ['0.0.0.0/8', 'reserved', '"this network"'],
    ['240.0.0.0/4', 'reserved', 'future use and broadcast'],
    ['192.0.0.0/24', 'reserved', 'IETF protocol assignments'],
    ['192.0.2.0/24', 'reserved', 'documentation'],
    ['198.51.100.0/24', 'reserved', 'documentation'],
    ['203.0.113.0/24', 'reserved', 'documentation'],
    ['198.18.0.0/15', 'reserved', 'benchmarking'],
    ['::/96', 'reserved', 'IPv4-compatible IPv6'],
    ['100::/64', 'reserved', 'discard'],
    ['2001::/23', 'reserved', 'IETF protocol assignments'],
    ['2001:db8::/32', 'reserved', 'documentation'],
    ['fec0::/10', 'reserved', 'deprecated site-local'],
  ] as [cidr: string, kind: string, note?: string][]
).map(([cidr, kind, note]) => {
  const [network = '', prefix = ''] = cidr.split('/');
  const list = new BlockList();
  list.addSubnet(network, Number(prefix), isIP(network) === 6 ? 'ipv6' : 'ipv4');
  return { cidr, kind, list, ...(note ? { note } : {}) };
});

/** The 16-bit groups of an IPv6 address (a trailing dotted IPv4 part becomes two groups). */
function groupsOf(ipv6: string): number[] {
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(ipv6)?.[1];
  let text = ipv6;
  if (dotted) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted.split('.').map(Number);
    text = ipv6.slice(0, -dotted.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const front = parse(head);
  const back = tail === undefined ? [] : parse(tail);
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
}

/**
 * The IPv4 address a NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address reaches; IPv4-mapped forms
 * (::ffff:a.b.c.d) need no help: `BlockList` matches them against the IPv4 ranges itself.
 */
function embeddedIPv4(ipv6: string): string | undefined {
  const g = groupsOf(ipv6);
  const v4 = (hi: number, lo: number) => [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return v4(g[6] ?? 0, g[7] ?? 0);
  if (g[0] === 0x2002) return v4(g[1] ?? 0, g[2] ?? 0);
  return undefined;
}

/** Why an address must not be called back (its class and range), or undefined if it is public. */
export function refusedAddressClass(address: string, allowLoopback: boolean): string | undefined {
  const ip = address.replace(/%.*$/, ''); // a zone index (fe80::1%eth0) is not part of the address
  const family: Family | undefined = isIP(ip) === 4 ? 'ipv4' : isIP(ip) === 6 ? 'ipv6' : undefined;
  if (!family) return 'not an IP address';
  const rule = RULES.find((r) => r.list.check(ip, family));
  if (rule && !(allowLoopback && rule.kind === 'loopback')) return `${rule.kind} address (${rule.cidr}${rule.note ? `, ${rule.note}` : ''})`;
  const inner = family === 'ipv6' ? embeddedIPv4(ip) : undefined;
  const innerClass = inner === undefined ? undefined : refusedAddressClass(inner, allowLoopback);
  return innerClass === undefined ? undefined : `${innerClass} embedded as ${inner}`;
}

const systemResolve = async (host: string): Promise<string[]> => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Checks a callback URL before it is saved and before each delivery. Allowed hosts skip the address
 * check; IP literals are checked as they are; host names are resolved and every address must be public.
 */
export async function checkCallbackUrl(url: string, options: CallbackUrlOptions): Promise<CallbackUrlVerdict> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: 'not a valid URL' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return { ok: false, reason: `scheme ${parsed.protocol} is not allowed; use http or https` };
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') return { ok: false, reason: 'the URL has no host' };
  const bare = (h: string) => h.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (options.allowedHosts.some((h) => bare(h) === host.toLowerCase())) return { ok: true };
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await (options.resolve ?? systemResolve)(host);
  } catch (err) {
    return { ok: false, reason: `cannot resolve ${host}: ${(err as { code?: string }).code ?? String(err)}` };
  }
  if (addresses.length === 0) return { ok: false, reason: `${host} has no address` };
  for (const address of addresses) {
    const refused = refusedAddressClass(address, options.allowLoopback);
    const subject = host === address ? address : `${host} resolves to ${address}, which`;
    if (refused) return { ok: false, reason: `${subject} is refused: ${refused}; callbacks go to public addresses only` };
  }
  return { ok: true };
}
