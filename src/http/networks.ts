import net from 'node:net';

/** An address or CIDR block as written in a setting: `10.0.0.0/8`, `2001:db8::/32`, `192.0.2.7`. */
export interface Network {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** Parses one address or CIDR block; null when it is neither. */
export function parseNetwork(raw: string): Network | null {
  const text = raw.trim();
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const version = net.isIP(address);
  if (version === 0) return null;
  const max = version === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const bits = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return null;
    prefix = Number(bits);
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/**
 * An address as a socket or a proxy writes it, without the blanks, brackets and port around it:
 * `192.0.2.7:51234` and `[2001:db8::1]:443` (some proxies write X-Forwarded-For entries so, and
 * TRUST_PROXY passes them on as req.ip) are `192.0.2.7` and `2001:db8::1`. Anything else as it is.
 */
function withoutPort(address: string | undefined): string {
  const text = (address ?? '').trim();
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(text);
  if (v4WithPort) return v4WithPort[1]!;
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(text);
  return bracketed ? bracketed[1]! : text;
}

/**
 * A set of networks to test client addresses against. An IPv4 client seen through an IPv6
 * socket (`::ffff:192.0.2.7`) is matched as the IPv4 address it is, and an address written with
 * its port (`192.0.2.7:51234`, `[2001:db8::1]:443`) as the address alone (withoutPort).
 */
export class NetworkList {
  private readonly list = new net.BlockList();
  readonly size: number;

  constructor(networks: readonly Network[]) {
    for (const n of networks) this.list.addSubnet(n.address, n.prefix, n.family);
    this.size = networks.length;
  }

  contains(address: string | undefined): boolean {
    const text = withoutPort(address);
    const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(text);
    const plain = mapped ? mapped[1]! : text;
    const version = net.isIP(plain);
    if (version === 0) return false;
    return this.list.check(plain, version === 4 ? 'ipv4' : 'ipv6');
  }
}

/**
 * The one budget every per-client limit (one-click pages, console logins and session cookies,
 * SOAP authentication failures, connections per address) counts a client address under, so one
 * client never gets two budgets by writing its address two ways, and two never share one:
 * - an IPv4 address as it is, however it arrives: IPv4-mapped (`::ffff:192.0.2.7`,
 *   `::ffff:c000:207`) or IPv4-compatible (`::192.0.2.7`) IPv6, or with a port
 *   (`192.0.2.7:51234`, as some proxies write X-Forwarded-For and TRUST_PROXY passes on);
 * - any other IPv6 address by its /64, written one way (`2001:db8:0:0::/64`): one subscriber
 *   routinely holds a whole /64, so counting single addresses would give it 2^64 turns.
 *   Brackets, a port and a zone are dropped, except a link-local address keeps its zone: the
 *   zone names the link, and fe80::/64 is the same on every link;
 * - nothing: `unknown`; anything else (not an address) as it is, trimmed.
 */
export function clientLimitKey(address: string | undefined): string {
  const text = (address ?? '').trim();
  if (text === '') return 'unknown';
  const plain = withoutPort(text);
  if (net.isIPv4(plain)) return plain;
  // What a dual-stack socket reports for every IPv4 peer, answered without the IPv6 parse.
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(plain);
  if (mapped && net.isIPv4(mapped[1]!)) return mapped[1]!;
  if (!net.isIPv6(plain)) return text;
  const percent = plain.indexOf('%');
  const groups = ipv6Groups(percent < 0 ? plain : plain.slice(0, percent));
  const zone = percent < 0 ? '' : plain.slice(percent);
  if (groups.slice(0, 5).every((g) => g === 0)) {
    const embedded = `${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`;
    if (groups[5] === 0xffff) return embedded; // IPv4-mapped
    // IPv4-compatible; `::` and `::1` (loopback) are no IPv4 address.
    if (groups[5] === 0 && groups[6] !== 0) return embedded;
  }
  const linkLocal = (groups[0]! & 0xffc0) === 0xfe80;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64${linkLocal ? zone : ''}`;
}

/** The eight 16-bit groups of a valid IPv6 address without its zone (a dotted tail is two). */
function ipv6Groups(address: string): number[] {
  const part = (text: string): number[] =>
    text === ''
      ? []
      : text.split(':').flatMap((g) => {
          if (!g.includes('.')) return [parseInt(g, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = g.split('.').map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const [head = '', tail] = address.split('::');
  const left = part(head);
  const right = tail === undefined ? [] : part(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}
