import { expect } from 'chai';
import { connectionProblem, databaseHost } from '../../src/data-access/connection-problem.js';

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

describe('databaseHost', () => {
  it("names the URL's host and port", () => {
    expect(databaseHost(URL)).to.equal('db.example:5433');
    expect(databaseHost('postgres://du@db/du')).to.equal('db:5432');
  });

  // A server on the same machine reached through its Unix socket: pg connects to the `host`
  // parameter's directory, and the messages named the URL's placeholder host instead.
  it('names the Unix socket directory (and port) that pg connects to', () => {
    expect(databaseHost('postgres://du:secret@localhost/du?host=/var/run/postgresql')).to.equal(
      '/var/run/postgresql:5432',
    );
    expect(databaseHost('postgres:///du?host=/run/pg&port=5433')).to.equal('/run/pg:5433');
  });

  // pg's error while a server reached through its socket is stopped (the socket file gone): the
  // wait at start and the commands said nothing about it.
  it('says a Unix socket that is not there is unreachable, naming its directory', () => {
    const missing = Object.assign(new Error('connect ENOENT /run/pg/.s.PGSQL.5432'), {
      code: 'ENOENT',
      syscall: 'connect',
    });
    expect(connectionProblem(missing, 'postgres://du:secret@localhost/du?host=/run/pg')).to.equal(
      'PostgreSQL at /run/pg:5432 (DATABASE_URL) is unreachable (ENOENT)',
    );
    const file = Object.assign(new Error('ENOENT'), { code: 'ENOENT', syscall: 'open' });
    expect(connectionProblem(file, 'postgres://du@localhost/du?host=/run/pg')).to.equal(null);
  });
});
