import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { runStress } from './stress.js';

for (const engine of testEngines()) {
  describe(`stress: several service processes on one ${engine.name} database (short mode)`, function () {
    this.timeout(300000);

    it('ends with zero invariant violations, every acknowledged write present, only documented faults', async () => {
      const report = await runStress({
        processes: 3,
        connections: 24,
        ops: engine.name === 'postgres' ? 800 : 600,
        engine,
      });
      expect(
        report.unexpected,
        [...report.unexpected.slice(0, 5), ...report.serviceErrors].join('\n'),
      ).to.deep.equal([]);
      // A slot on its way back to its lender: rare, never a refusal of calls under the limit.
      expect(report.faults['20024'] ?? 0, 'calls refused 20024').to.be.at.most(report.ops / 100);
      expect(report.violations).to.equal(0);
      expect(report.missingAcknowledged).to.deep.equal([]);
      expect(Object.values(report.byOperation).reduce((a, b) => a + b, 0)).to.equal(report.ops);
    });
  });
}
