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
