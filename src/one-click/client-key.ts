import net from 'node:net';

/**
 * Whom the rate limit counts: the client address Express reports (after TRUST_PROXY), and for
 * IPv6 its /64, since one client commonly holds a whole /64 and could rotate through it.
 */
export function clientKey(ip: string | undefined): string {
  if (!ip) return 'unknown';
  // An IPv4 address (the common case) as it is, without the IPv6 tests below.
  if (!ip.includes(':')) return ip;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!net.isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
