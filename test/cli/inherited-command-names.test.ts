import { expect } from 'chai';
import { cli } from '../ops/support.js';

/**
 * A command named as a property every JavaScript object inherits (toString, constructor…). The
 * commands were looked up as an object's properties: such a name passed for a command, and ran
 * on as one (loading the settings) to exit 2 without a word; with --help it printed a function's
 * source. It is an unknown command, said so, as any other.
 */
describe('command names every object inherits', function () {
  this.timeout(60000);

  for (const args of [
    ['toString'],
    ['constructor'],
    ['__proto__'],
    ['hasOwnProperty'],
    ['valueOf', '--help'],
    ['toString', '--help'],
  ]) {
    it(`"${args.join(' ')}" is an unknown command`, async () => {
      const r = await cli(args, {});
      expect(r.code, r.stdout + r.stderr).to.equal(2);
      expect(r.stderr).to.contain(`Unknown command "${args[0]}"`);
      expect(r.stdout).to.equal('');
    });
  }
});
