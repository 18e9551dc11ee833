/**
 * A login for an ADMIN_USERS name, a stored operator's or a name no one has takes the same
 * steps: one lookup of the stored operators and one scrypt. A configured name's first login
 * cost a second scrypt (its hash was made then) and none skipped the lookup, so the time of an
 * answer told which names are configured.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Config } from '../../src/config.js';
import { OperatorRepository } from '../../src/data-access/operator.repository.js';
import { createLogger } from '../../src/logger.js';
import { start, type Running } from '../../src/main.js';
import { testEngines } from '../support/database.js';
import { freshServiceConfig } from '../support/service.js';
import { ALICE, AdminClient, csrfOf, operatorServiceFor } from './support.js';

const STORED = { name: 'bob', password: 'another long password' };

interface Steps {
  status: number;
  scrypts: number;
  lookups: number;
}

for (const engine of testEngines()) {
  describe(`admin login steps, whatever the name (${engine.name})`, function () {
    this.timeout(120000);
    let running: Running;
    let base: string;
    let drop: () => Promise<void>;
    let config: Config;
    const counts = { scrypts: 0, lookups: 0 };
    const scrypt = crypto.scrypt;
    const find = OperatorRepository.prototype.find;

    before(async () => {
      const made = await engine.create();
      await made.db.close();
      drop = made.drop;
      config = freshServiceConfig(made, {}, { adminUsers: [ALICE] });
      const cli = operatorServiceFor(config);
      await cli.operators.add(STORED.name, STORED.password);
      await cli.db.close();
      running = await start(config, createLogger('silent'));
      base = `http://127.0.0.1:${running.port}`;
      (crypto as { scrypt: unknown }).scrypt = (...args: unknown[]) => {
        counts.scrypts++;
        return (scrypt as (...a: unknown[]) => void)(...args);
      };
      OperatorRepository.prototype.find = function (name: string) {
        counts.lookups++;
        return find.call(this, name);
      };
    });
    after(async () => {
      (crypto as { scrypt: unknown }).scrypt = scrypt;
      OperatorRepository.prototype.find = find;
      await running?.close();
      await drop?.();
    });

    /** One login through the form, and the scrypts and lookups made while it was answered. */
    const logIn = async (name: string, password: string): Promise<Steps> => {
      const client = new AdminClient(base);
      const token = csrfOf((await client.get('/admin/login')).body);
      counts.scrypts = counts.lookups = 0;
      const reply = await client.post('/admin/login', { _csrf: token, name, password, next: '' });
      return { status: reply.status, ...counts };
    };

    it('checks a configured, a stored and an unknown name alike', async () => {
      const first = await logIn('nobody-1', 'a wrong password');
      expect(first.status).to.equal(401);
      const unknown = await logIn('nobody-2', 'a wrong password');
      const configured = await logIn(ALICE.name, 'a wrong password');
      const stored = await logIn(STORED.name, 'a wrong password');
      expect(unknown).to.deep.equal({ status: 401, scrypts: 1, lookups: 1 });
      expect(configured, 'a configured name').to.deep.equal(unknown);
      expect(stored, 'a stored name').to.deep.equal(unknown);
      // And the right passwords still open sessions.
      expect((await logIn(ALICE.name, ALICE.password)).status).to.equal(303);
      expect((await logIn(STORED.name, STORED.password)).status).to.equal(303);
    });

    it('makes every hash at the first check, whatever name it is for', async () => {
      // This service's first check was the test above's: a fresh one is asked here.
      const again = await start({ ...config, port: 0 }, createLogger('silent'));
      try {
        const client = new AdminClient(`http://127.0.0.1:${again.port}`);
        const token = csrfOf((await client.get('/admin/login')).body);
        counts.scrypts = 0;
        await client.post('/admin/login', { _csrf: token, name: 'x', password: 'y', next: '' });
        // The dummy's hash, ALICE's (the configured operator), and the check itself.
        expect(counts.scrypts).to.equal(3);
      } finally {
        await again.close();
      }
    });
  });
}
