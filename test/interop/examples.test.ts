import path from 'node:path';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { startTestService, TEST_USER, type TestService } from '../support/service.js';
import { expectExampleOutput, WRONG_KEY_LINE } from './examples-output.js';
import { REPO_ROOT, run } from './worked-example.js';

/**
 * The worked examples in examples/ (what a new user runs first): two people on one address,
 * one unsubscribes, the other follows, the activity says why; a wrong key is one line.
 */
const EXAMPLES = path.join(REPO_ROOT, 'examples');
const CLIENTS = [
  {
    name: 'Python (zeep)',
    command: '/usr/bin/python3',
    worked: path.join(EXAMPLES, 'python', 'worked_example.py'),
    quickstart: path.join(EXAMPLES, 'python', 'quickstart.py'),
  },
  {
    name: 'PHP (SoapClient)',
    command: 'php',
    worked: path.join(EXAMPLES, 'php', 'worked_example.php'),
    quickstart: path.join(EXAMPLES, 'php', 'quickstart.php'),
  },
];

for (const engine of testEngines()) {
  describe(`the examples' worked example (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    before(async () => (service = await startTestService(engine)));
    after(() => service?.stop());

    for (const client of CLIENTS) {
      it(`${client.name}: the other person follows, and the activity says why`, async () => {
        const email = `worked.${path.extname(client.worked).slice(1)}@example.com`;
        const r = await run(client.command, [
          client.worked,
          service.wsdlUrl,
          TEST_USER.userId,
          TEST_USER.encryptionKey,
          email,
        ]);
        expect(r.code, r.stderr + r.stdout).to.equal(0);
        expectExampleOutput(r.stdout, email);
      });

      it(`${client.name}: run again on the same address, says it is unsubscribed already, exit 1`, async () => {
        // A second run found both people unsubscribed from the start and still printed that B
        // followed A, with the activity of B's creation as the reason.
        const email = `again.${path.extname(client.worked).slice(1)}@example.com`;
        const args = [
          client.worked,
          service.wsdlUrl,
          TEST_USER.userId,
          TEST_USER.encryptionKey,
          email,
        ];
        expect((await run(client.command, args)).code).to.equal(0);
        const again = await run(client.command, args);
        expect(again.code, again.stderr + again.stdout).to.equal(1);
        expect(again.stdout).to.not.contain('followed');
        expect(again.stderr).to.equal(
          `error: ${email} is unsubscribed already (an earlier run?): run again with an address not used before\n`,
        );
      });

      it(`${client.name}: a wrong key is one line naming the fault, exit 1`, async () => {
        for (const script of [client.worked, client.quickstart]) {
          const args = [script, service.wsdlUrl, TEST_USER.userId, 'WRONG-KEY', 'x@example.com'];
          const r = await run(client.command, args);
          expect(r.code, script).to.equal(1);
          expect(r.stderr, script).to.equal(WRONG_KEY_LINE);
        }
      });
    }
  });
}
