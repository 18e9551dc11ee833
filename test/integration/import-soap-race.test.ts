/**
 * A suppression list imported from the command line (its own process, its own connections)
 * while SOAP syncLead calls set and clear Unsubscribed on the same addresses: afterwards every
 * person agrees with its address's master status (`verify` passes), and every batch of the
 * import was applied whole, none in part.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { expectAddressesSettled, seedRaceLeads } from '../support/hammer.js';
import { seeded } from '../support/seeded.js';
import {
  rawCall,
  startTestService,
  syncUnsubscribedXml,
  type TestService,
} from '../support/service.js';
import { BIN, cli } from '../ops/support.js';

const RACED = Array.from({ length: 8 }, (_, i) => `imp-race-${i}@example.com`);
/**
 * Addresses no one else touches: enough of them for several batches of the import, so that the
 * import lasts long enough for SOAP changes to land between its batches even on an idle machine.
 */
const QUIET = Array.from({ length: 4000 }, (_, i) => `imp-quiet-${i}@example.com`);
const SOURCE = 'race list';
/** The source as recorded: the import appends the operator who ran it. */
const RECORDED = `${SOURCE} (importer)`;

for (const engine of testEngines()) {
  describe(`a CLI import racing SOAP syncLead (${engine.name})`, function () {
    this.timeout(120000);
    let svc: TestService;
    let dir: string;
    beforeEach(async () => {
      if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
      svc = await startTestService(engine);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-imp-race-'));
    });
    afterEach(async () => {
      await svc.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('every person ends agreeing with its address, and the import is applied batch by batch, whole', async () => {
      const services = svc.running.services;
      await seedRaceLeads(services, RACED);
      const rnd = seeded(20261204);
      // The raced addresses spread over the batches, spelled as lists spell them.
      const lines = [...QUIET];
      for (const [i, address] of RACED.entries())
        lines.splice(i * 500, 0, i % 2 ? ` ${address.toUpperCase()} ` : address);
      const file = path.join(dir, 'list.csv');
      fs.writeFileSync(
        file,
        `email,reason,source\n${lines.map((l) => `${l},asked,${SOURCE}`).join('\n')}\n`,
      );
      const env = {
        DATABASE_URL: svc.config.databaseUrl ?? '',
        DATA_DIR: svc.config.dataDir,
      };

      let importing = true;
      const imported = cli(['suppressions', 'import', file, '--actor', 'importer'], env).finally(
        () => {
          importing = false;
        },
      );
      // SOAP calls four at a time for as long as the import runs, bounded by time rather than
      // by a count: on a loaded machine the command may take seconds to start writing, and a
      // count could run out before its first batch.
      const failures: string[] = [];
      let calls = 0;
      const until = Date.now() + 90000;
      while (importing && Date.now() < until) {
        await Promise.all(
          Array.from({ length: 4 }, async () => {
            const address = RACED[Math.floor(rnd() * RACED.length)]!;
            const res = await rawCall(svc.url, syncUnsubscribedXml(address, String(rnd() < 0.5)));
            calls++;
            if (res.status !== 200) failures.push(`${res.status} ${res.body.slice(0, 300)}`);
          }),
        );
      }
      const r = await imported;
      expect(failures).to.deep.equal([]);
      expect(calls, 'SOAP calls made while the import ran').to.be.above(0);
      expect(r.stderr).to.equal('');
      expect(r.code, r.stdout).to.equal(0);
      const counts = /^(\d+) rows; (\d+) address(?:es)? suppressed, (\d+) already suppressed/.exec(
        r.stdout,
      );
      expect(counts, r.stdout).to.not.equal(null);
      const [rows, suppressed, already] = counts!.slice(1).map(Number) as [number, number, number];
      expect(rows).to.equal(lines.length);
      expect(suppressed + already).to.equal(rows);

      // Every person agrees with its address's status, which is its newest history entry.
      await expectAddressesSettled(services, RACED);
      const verify = await cli(['verify'], env);
      expect(verify.code, verify.stdout + verify.stderr).to.equal(0);
      // Nothing half-applied: each address the import says it suppressed has the import's
      // entry in its history, once, and the quiet addresses are all opt-outs from the list.
      let entries = 0;
      const importIds: number[] = [];
      const soapIds: number[] = [];
      for (const address of [...RACED, ...QUIET]) {
        const report = await services.durableStatus.explain(address);
        const fromList = report.history.filter((h) => h.source === RECORDED);
        importIds.push(...fromList.map((h) => h.id));
        soapIds.push(...report.history.filter((h) => h.source !== RECORDED).map((h) => h.id));
        expect(fromList.length, address).to.be.at.most(1);
        entries += fromList.length;
        if (address.startsWith('imp-quiet-'))
          expect(report.status, address).to.include({ unsubscribed: true, source: RECORDED });
      }
      expect(entries).to.equal(suppressed);
      // And the two really raced: SOAP changes were recorded between the import's batches.
      const [first, last] = [Math.min(...importIds), Math.max(...importIds)];
      const between = soapIds.filter((id) => id > first && id < last).length;
      expect(between, 'SOAP changes recorded while the import ran').to.be.above(0);
    });
  });
}
