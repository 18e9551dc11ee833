import { expect } from 'chai';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { clientLimitKey } from '../../src/http/networks.js';

/** [what the address is, how it is written, the budget it is counted under] */
const TABLE: ReadonlyArray<readonly [string, string | undefined, string]> = [
  ['IPv4', '203.0.113.7', '203.0.113.7'],
  ['IPv4 with surrounding blanks', ' 203.0.113.7 ', '203.0.113.7'],
  ['IPv4 with a port (some proxies write one)', '203.0.113.7:51234', '203.0.113.7'],
  ['IPv4-mapped, dotted', '::ffff:203.0.113.7', '203.0.113.7'],
  ['IPv4-mapped, dotted, uppercase', '::FFFF:203.0.113.7', '203.0.113.7'],
  ['IPv4-mapped, hex', '::ffff:cb00:7107', '203.0.113.7'],
  ['IPv4-mapped, expanded', '0:0:0:0:0:ffff:203.0.113.7', '203.0.113.7'],
  ['IPv4-mapped, fully written hex', '0000:0000:0000:0000:0000:FFFF:CB00:7107', '203.0.113.7'],
  ['IPv4-mapped with a zone', '::ffff:203.0.113.7%eth0', '203.0.113.7'],
  ['IPv4-compatible (deprecated)', '::203.0.113.7', '203.0.113.7'],
  ['IPv4-compatible, hex', '::cb00:7107', '203.0.113.7'],
  ['IPv6 loopback', '::1', '0:0:0:0::/64'],
  ['IPv6 unspecified', '::', '0:0:0:0::/64'],
  ['IPv6, compressed', '2001:db8:1:2:aaaa::1', '2001:db8:1:2::/64'],
  [
    'the same /64, expanded with leading zeros',
    '2001:0db8:0001:0002:ffff:0:0:9',
    '2001:db8:1:2::/64',
  ],
  ['the same /64, uppercase', '2001:DB8:1:2::BEEF', '2001:db8:1:2::/64'],
  ['the same /64, zeros compressed in the interface id', '2001:db8:1:2::', '2001:db8:1:2::/64'],
  ['a /64 with zero groups', '2001:db8::1', '2001:db8:0:0::/64'],
  ['the same, fully written', '2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8:0:0::/64'],
  ['IPv6 with a dotted tail after a long right part', '1::2:3:4:5:1.2.3.4', '1:0:2:3::/64'],
  ['IPv6 with a dotted tail, uncompressed', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4::/64'],
  ['IPv6 in brackets', '[2001:db8:1:2::1]', '2001:db8:1:2::/64'],
  ['IPv6 in brackets with a port', '[2001:db8:1:2::1]:443', '2001:db8:1:2::/64'],
  ['a global IPv6 with a zone (no link to name)', '2001:db8:1:2::1%eth0', '2001:db8:1:2::/64'],
  ['link-local with its zone', 'fe80::1%eth0', 'fe80:0:0:0::/64%eth0'],
  ['another host on that link', 'fe80::abcd:1%eth0', 'fe80:0:0:0::/64%eth0'],
  ['a host on another link', 'fe80::1%eth1', 'fe80:0:0:0::/64%eth1'],
  ['link-local without a zone', 'FE80::1', 'fe80:0:0:0::/64'],
  ['nothing', undefined, 'unknown'],
  ['empty', '', 'unknown'],
  ['blanks', '   ', 'unknown'],
  ['garbage (kept: no other client writes it)', 'garbage', 'garbage'],
  ['an IPv4 with leading zeros (not an address)', '::ffff:01.2.3.4', '::ffff:01.2.3.4'],
  ['an address with two ports', '1.2.3.4:5:6', '1.2.3.4:5:6'],
];

describe('clientLimitKey: the budget a client address is counted under', () => {
  for (const [what, address, key] of TABLE) {
    it(`${what}: ${JSON.stringify(address)} → ${key}`, () => {
      expect(clientLimitKey(address)).to.equal(key);
    });
  }

  it('gives one client one budget however its proxy writes its address', async () => {
    // With TRUST_PROXY=1, req.ip is the proxy's X-Forwarded-For entry verbatim, port included.
    const app = express();
    app.set('trust proxy', 1);
    app.get('/', (req, res) => {
      res.send(clientLimitKey(req.ip));
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const keys = new Set<string>();
      for (const forwarded of ['203.0.113.7:1111', '203.0.113.7:2222', '::ffff:cb00:7107']) {
        const res = await fetch(`http://127.0.0.1:${port}/`, {
          headers: { 'x-forwarded-for': forwarded },
        });
        keys.add(await res.text());
      }
      expect([...keys]).to.deep.equal(['203.0.113.7']);
    } finally {
      server.close();
    }
  });
});
