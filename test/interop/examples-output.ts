import { expect } from 'chai';

/** What every example prints for a wrong key: one line, exit code 1. */
export const WRONG_KEY_LINE =
  'error: 20014 - Authentication failed (code 20014): check the user id and encryption key\n';

/** What every worked example in examples/ prints (same lines in every language). */
export function expectExampleOutput(out: string, email: string): void {
  const lines = out.trim().split('\n');
  expect(lines[0]).to.match(
    new RegExp(
      `^1\\. A is lead \\d+ \\(CREATED\\), B is lead \\d+ \\(CREATED\\), both <${email.replace(/\./g, '\\.')}>$`,
    ),
  );
  expect(lines[1]).to.equal('   Unsubscribed: A=false B=false');
  expect(lines[2]).to.equal('2. A unsubscribes');
  expect(lines[3]).to.equal('   Unsubscribed: A=true B=true  (B followed)');
  expect(lines[4]).to.match(
    /^3\. B's activity at \d{4}-\d\d-\d\dT\S+: Unsubscribed false -> true, reason: System flow action sysActionChangeDataValue updateLeadEmailStatus$/,
  );
}
