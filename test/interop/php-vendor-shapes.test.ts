import path from 'node:path';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { startTestService, TEST_USER, type TestService } from '../support/service.js';
import { toolkitOrSkip } from './legacy-toolkits.js';
import { INTEROP_DIR, run } from './worked-example.js';

/**
 * PHP's SoapClient, at its defaults, reading answers as PHP integrations of the vendor era did
 * (test/interop/clients/php_vendor_shapes.php): a `datetime` attribute through
 * DateTime::createFromFormat(DATE_W3C), an activity's campaign and mktgAssetName as strings, each change's
 * attributes by `foreach` (a list of one would be the element itself), a New Lead's `Created
 * Date` as the day it is (createFromFormat('!Y-m-d')). Notices are failures.
 */
const CLIENT = path.join(INTEROP_DIR, 'clients', 'php_vendor_shapes.php');
const PHP_FLAGS = ['-d', 'soap.wsdl_cache_enabled=0', '-d', 'error_reporting=-1'];

interface ShapesRun {
  dateTime: string | null;
  campaigns: number[];
  /** gettype() of each activity's mktgAssetName. */
  assetTypes: string[];
  changes: { type: string; attributes: string[] }[];
  /** A New Lead's Created Date as read with '!Y-m-d', and the day of its activityDateTime. */
  createdDate: [string, string];
  changeCreatedDate: [string, string];
}

for (const engine of testEngines()) {
  describe(`interop: PHP SoapClient reads answers as vendor-era integrations did (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService | undefined;

    before(async function () {
      toolkitOrSkip(this, ['/usr/bin/php'], 'php-cli php-soap');
      service = await startTestService(engine, {
        customFields: [{ name: 'cDateTime', type: 'datetime' }],
      });
    });
    after(() => service?.stop());

    it("a datetime attribute DATE_W3C reads, campaign a string, a Delete Lead change a list of attributes, a New Lead's Created Date a day", async () => {
      const r = await run('php', [
        ...PHP_FLAGS,
        CLIENT,
        service!.wsdlUrl,
        TEST_USER.userId,
        TEST_USER.encryptionKey,
      ]);
      expect(r.code, `${r.stdout}${r.stderr}`).to.equal(0);
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ShapesRun;
      expect(out.dateTime, 'DATE_W3C').to.equal(String(Date.parse('2026-01-02T03:04:05Z') / 1000));
      expect(out.campaigns).to.have.length.above(0);
      expect(out.campaigns.every((n) => n === 0)).to.equal(true);
      expect(out.assetTypes, 'mktgAssetName').to.deep.equal(['string']);
      expect(out.changes.map((c) => c.type)).to.deep.equal(['New Lead', 'Delete Lead']);
      expect(out.changes[1]!.attributes).to.deep.equal(['Reason', 'Source', 'Lead ID']);
      // The vendor wrote the day alone (2015-09-04), the day of the activity's date.
      const [day, activityDay] = out.createdDate;
      expect(day, 'getLeadActivity').to.equal(activityDay);
      expect(out.changeCreatedDate, 'getLeadChanges').to.deep.equal(out.createdDate);
    });
  });
}
