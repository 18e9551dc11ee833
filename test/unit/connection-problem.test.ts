import { expect } from 'chai';
import { connectionProblem } from '../../src/data-access/connection-problem.js';

const URL = 'postgres://du:secret@db.example:5433/du';

describe('connectionProblem', () => {
  // A command whose session was terminated mid-way printed pg's error with a stack trace.
  for (const code of ['57P01', '57P02'])
    it(`says in one line that the server ended the session (${code}), never the password`, () => {
      const error = Object.assign(
        new Error('terminating connection due to administrator command'),
        {
          code,
        },
      );
      const line = connectionProblem(error, URL);
      expect(line).to.equal(
        `PostgreSQL at db.example:5433 (DATABASE_URL) ended the connection (${code}): it was shut down, restarted or the session terminated`,
      );
    });

  it('is null for an error that is not about reaching the server', () => {
    expect(
      connectionProblem(Object.assign(new Error('duplicate key'), { code: '23505' }), URL),
    ).to.equal(null);
  });
});
