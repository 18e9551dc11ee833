/**
 * Email addresses are never logged (docs/operations.md, Health and monitoring). A statement the
 * database refuses reaches the log as the error of a call that failed unexpectedly (fault
 * 10001), of a console page, or as the cause behind "database unavailable": its message must
 * not carry the values bound to the statement (knex spelled them into it), nor its detail the
 * row's values (PostgreSQL's "Key (email_key)=(…) already exists").
 */
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { fixedSql, runStatement } from '../../src/data-access/sql/statement.js';
import { inlined } from '../../src/data-access/sql/fixed-sql.js';
import { runGroupedStep, type StepClient } from '../../src/data-access/sql/pg-step-group.js';
import { AppError, ErrorCode } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { testEngines } from '../support/database.js';

const ADDRESS = 'hidden.person@example.com';

async function failure(statement: PromiseLike<unknown>): Promise<Error> {
  const outcome = await Promise.resolve(statement).then(
    () => null,
    (error: unknown) => error,
  );
  expect(outcome, 'the statement must fail').to.be.instanceOf(Error);
  return outcome as Error;
}

for (const engine of testEngines()) {
  describe(`a failed statement in the log (${engine.name})`, function () {
    this.timeout(30000);

    it('names no address bound to it, in its message, its detail or as a cause', async () => {
      const made = await engine.create();
      const lines: string[] = [];
      const logger = createLogger(
        'info',
        new Writable({
          write(chunk: Buffer, _encoding, done) {
            lines.push(chunk.toString('utf8'));
            done();
          },
        }),
      );
      try {
        const { knex } = made.db;
        const row = { email_key: ADDRESS, unsubscribed: true, source: 'test', changed_at: 1 };
        await knex('email_status').insert(row);
        const failures = [
          // A statement refused as written, the address bound to it.
          await failure(knex('email_status').where('email_key', ADDRESS).select('no_such_column')),
          // A row refused for its values (PostgreSQL's detail quotes the key).
          await failure(knex('email_status').insert(row)),
          // The same through a fixed statement (on PostgreSQL its values are written into its
          // text: statement.ts).
          await failure(
            runStatement(
              knex,
              fixedSql(
                'insert into email_status (email_key, unsubscribed, source, changed_at) values (?, ?, ?, ?)',
              ),
              [ADDRESS, engine.name === 'sqlite' ? 1 : true, 'test', 1],
            ),
          ),
        ];
        if (engine.name === 'postgres') {
          // A value the database cannot take as the type asked: PostgreSQL's message quotes it
          // (`invalid input syntax for type integer: "…"`), and so does the error's stack.
          failures.push(
            await failure(
              knex('email_status')
                .where('email_key', ADDRESS)
                .select(knex.raw('email_key::integer')),
            ),
          );
          // A one-step unit's statement ahead of its last (a check, a queued write), its values
          // written in, that fails within a group of steps (two sent in the same turn): the
          // group names it with its placeholders too.
          const template =
            'insert into email_status (email_key, unsubscribed, source, changed_at) values (?, ?, ?, ?)';
          const text = inlined(fixedSql(template), [ADDRESS, true, 'test', 1])!;
          const step = (
            statements: string[],
            forms?: ({ template: string; literals: readonly string[] } | undefined)[],
          ) =>
            new Promise((resolve, reject) =>
              runGroupedStep(knex.client as unknown as StepClient, {
                statements,
                ...(forms ? { forms } : {}),
                resolve,
                reject,
              }),
            );
          const other = step(['SELECT 1']);
          const failed = failure(
            step([text.postgres, 'SELECT 2'], [{ template, literals: text.literals }, undefined]),
          );
          await other;
          failures.push(await failed);
        }
        for (const error of failures) {
          expect(error.message).to.match(/^(insert into|select) /);
          logger.error({ err: error }, 'SOAP call failed');
          const unavailable = new AppError(ErrorCode.DATABASE_UNAVAILABLE, 'Database unavailable', {
            cause: error,
          });
          logger.error({ err: unavailable }, 'admin page failed');
        }
        expect(lines).to.have.length(2 * failures.length);
        for (const line of lines) {
          const logged = JSON.parse(line) as { err: { message: string; stack: string } };
          // The statement is still there to read, with its placeholders.
          expect(logged.err.message).to.match(/email_status/);
          expect(line).not.to.contain('hidden.person');
        }
      } finally {
        await made.drop();
      }
    });
  });
}
