import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import { ConfigError, loadConfig } from '../../src/config.js';
import { NetworkList, parseNetwork } from '../../src/http/networks.js';

describe('security settings', () => {
  describe('TRUST_PROXY', () => {
    it('is off by default and with false or 0', () => {
      expect(loadConfig({}).trustProxy).to.equal(false);
      expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).to.equal(false);
      expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).to.equal(false);
    });

    it('takes a hop count', () => {
      expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).to.equal(1);
      expect(loadConfig({ TRUST_PROXY: ' 2 ' }).trustProxy).to.equal(2);
    });

    it("takes the proxies' addresses, CIDR blocks and Express's range names", () => {
      expect(
        loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.0.2.7,fd00::/8 ,loopback' }).trustProxy,
      ).to.deep.equal(['10.0.0.0/8', '192.0.2.7/32', 'fd00::/8', 'loopback']);
    });

    it('refuses true, explaining the new syntax on one line', () => {
      for (const value of ['true', 'TRUE', 'yes', 'on']) {
        let message = '';
        try {
          loadConfig({ TRUST_PROXY: value });
        } catch (error) {
          expect(error).to.be.instanceOf(ConfigError);
          message = (error as Error).message;
        }
        expect(message, value).to.match(/^TRUST_PROXY=true is not accepted.*TRUST_PROXY=1/);
        expect(message).to.not.contain('\n');
      }
    });

    it("gives Express's req.ip the address the trusted proxies saw, not a forged one", async () => {
      const ipSeenWith = async (trustProxy: string, forwardedFor: string) => {
        const app = express();
        app.set('trust proxy', loadConfig({ TRUST_PROXY: trustProxy }).trustProxy);
        app.get('/', (req, res) => {
          res.send(req.ip);
        });
        const server = app.listen(0, '127.0.0.1');
        await new Promise((resolve) => server.once('listening', resolve));
        try {
          const { port } = server.address() as AddressInfo;
          const res = await fetch(`http://127.0.0.1:${port}/`, {
            headers: { 'X-Forwarded-For': forwardedFor },
          });
          return await res.text();
        } finally {
          server.close();
        }
      };
      const forged = '203.0.113.66, 198.51.100.7';
      expect(await ipSeenWith('false', forged)).to.equal('127.0.0.1');
      expect(await ipSeenWith('1', forged)).to.equal('198.51.100.7');
      expect(await ipSeenWith('2', forged)).to.equal('203.0.113.66');
      expect(await ipSeenWith('loopback', forged)).to.equal('198.51.100.7');
      expect(await ipSeenWith('127.0.0.1/32, 198.51.100.0/24', forged)).to.equal('203.0.113.66');
      expect(await ipSeenWith('10.0.0.0/8', forged)).to.equal('127.0.0.1');
    });

    it('refuses what is neither a hop count nor an address', () => {
      for (const bad of ['11', 'proxy.example.com', '10.0.0.0/40', '10.0.0.1,'])
        expect(() => loadConfig({ TRUST_PROXY: bad }), bad).to.throw(ConfigError, /TRUST_PROXY/);
    });
  });

  describe('networks', () => {
    it('parse addresses and CIDR blocks of both families', () => {
      expect(parseNetwork('192.0.2.0/24')).to.deep.equal({
        address: '192.0.2.0',
        prefix: 24,
        family: 'ipv4',
      });
      expect(parseNetwork('2001:db8::1')).to.deep.equal({
        address: '2001:db8::1',
        prefix: 128,
        family: 'ipv6',
      });
      for (const bad of ['', '/8', '192.0.2.0/', '192.0.2.0/x', '256.0.0.1', '::/129'])
        expect(parseNetwork(bad), bad).to.equal(null);
    });

    it('match IPv4, IPv6 and IPv4-mapped IPv6 client addresses', () => {
      const list = new NetworkList([parseNetwork('192.0.2.0/24')!, parseNetwork('2001:db8::/32')!]);
      expect(list.contains('192.0.2.200')).to.equal(true);
      expect(list.contains('::ffff:192.0.2.200')).to.equal(true);
      expect(list.contains('2001:db8:ffff::1')).to.equal(true);
      expect(list.contains('192.0.3.1')).to.equal(false);
      expect(list.contains('2001:db9::1')).to.equal(false);
      expect(list.contains(undefined)).to.equal(false);
      expect(list.contains('not an address')).to.equal(false);
    });
  });

  describe('USER_KEY_SECRET_FILE', () => {
    let dir: string;
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-secret-'));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('reads the secret from the file, trimmed', () => {
      const file = path.join(dir, 'secret');
      fs.writeFileSync(file, 'from a file 0123456789\n');
      expect(loadConfig({ USER_KEY_SECRET_FILE: file }).userKeySecret).to.equal(
        'from a file 0123456789',
      );
    });

    it('refuses a missing or empty file, or both settings at once', () => {
      const empty = path.join(dir, 'empty');
      fs.writeFileSync(empty, '\n');
      expect(() => loadConfig({ USER_KEY_SECRET_FILE: path.join(dir, 'missing') })).to.throw(
        ConfigError,
        /USER_KEY_SECRET_FILE: cannot read/,
      );
      expect(() => loadConfig({ USER_KEY_SECRET_FILE: empty })).to.throw(
        ConfigError,
        /USER_KEY_SECRET_FILE: .* is empty/,
      );
      expect(() =>
        loadConfig({ USER_KEY_SECRET_FILE: empty, USER_KEY_SECRET: 'also set here' }),
      ).to.throw(ConfigError, /USER_KEY_SECRET or USER_KEY_SECRET_FILE, not both/);
    });
  });

  describe('METRICS_PORT', () => {
    it('defaults to 9464 on loopback; empty or off disables; 0 picks a free port', () => {
      expect(loadConfig({})).to.include({ metricsPort: 9464, metricsHost: '127.0.0.1' });
      expect(loadConfig({ METRICS_PORT: '' }).metricsPort).to.equal(null);
      expect(loadConfig({ METRICS_PORT: 'off' }).metricsPort).to.equal(null);
      expect(loadConfig({ METRICS_PORT: '0' }).metricsPort).to.equal(0);
      expect(() => loadConfig({ METRICS_PORT: '70000' })).to.throw(ConfigError, /METRICS_PORT/);
    });
  });

  describe('PROTECTED_REASONS', () => {
    it('defaults to complaints as mail providers name them; a comma-separated list, lower-cased', () => {
      expect(loadConfig({}).protectedReasons).to.deep.equal([
        'complaint',
        'complained',
        'spam report',
        'abuse',
      ]);
      expect(
        loadConfig({ PROTECTED_REASONS: 'Complaint, legal hold ,' }).protectedReasons,
      ).to.deep.equal(['complaint', 'legal hold']);
    });

    it('none protects no reason; set but empty is refused, naming it, instead of protecting none', () => {
      // Before: PROTECTED_REASONS= (a blank line in an env file) gave [] and complaints became
      // liftable by every integration, without a word at start.
      expect(loadConfig({ PROTECTED_REASONS: 'none' }).protectedReasons).to.deep.equal([]);
      expect(loadConfig({ PROTECTED_REASONS: ' None ' }).protectedReasons).to.deep.equal([]);
      for (const empty of ['', '  ', ' , ,'])
        expect(() => loadConfig({ PROTECTED_REASONS: empty }), JSON.stringify(empty)).to.throw(
          ConfigError,
          /^PROTECTED_REASONS is empty: leave it unset to protect complaints as mail providers name them \(complaint,complained,spam report,abuse\), list the words to protect \(e\.g\. complaint,legal hold\), or write none to protect no reason$/,
        );
      expect(() => loadConfig({ PROTECTED_REASONS: 'complaint, none' })).to.throw(
        ConfigError,
        /^PROTECTED_REASONS: none stands alone/,
      );
    });
  });
});
