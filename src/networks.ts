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
 * A set of networks to test client addresses against. An IPv4 client seen through an IPv6
 * socket (`::ffff:192.0.2.7`) is matched as the IPv4 address it is.
 */
export class NetworkList {
  private readonly list = new net.BlockList();
  readonly size: number;

  constructor(networks: readonly Network[]) {
    for (const n of networks) this.list.addSubnet(n.address, n.prefix, n.family);
    this.size = networks.length;
  }

  contains(address: string | undefined): boolean {
    if (!address) return false;
    const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
    const plain = mapped ? mapped[1]! : address;
    const version = net.isIP(plain);
    if (version === 0) return false;
    return this.list.check(plain, version === 4 ? 'ipv4' : 'ipv6');
  }
}

/**
 * What a per-client limit counts a client address under: an IPv4 address as it is, an IPv6
 * address by its /64 network. One subscriber routinely holds a whole /64, so counting single
 * IPv6 addresses would give one client 2^64 turns.
 */
export function clientLimitKey(address: string): string {
  const plain = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(plain);
  if (mapped) return mapped[1]!;
  if (!net.isIPv6(plain)) return address;
  const [head = '', tail] = plain.split('::');
  const groupsOf = (part: string) =>
    part === '' ? [] : part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g]));
  const left = groupsOf(head);
  const right = tail === undefined ? [] : groupsOf(tail);
  const zeros = Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0');
  const groups = [...left, ...zeros, ...right].slice(0, 4);
  return `${groups.map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}
