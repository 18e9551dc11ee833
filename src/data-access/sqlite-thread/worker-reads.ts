import type BetterSqlite3 from 'better-sqlite3';
import type { CrossedError, ReadOutcome, ReadsAnswer, ReadsRequest } from './protocol.js';
import type { RowShapes } from './row-shapes.js';

/**
 * The thread's side of grouped plain reads (protocol.ts, ReadsRequest): each read runs on its
 * own, outside any transaction, so each sees the last commit when it starts, as it would in a
 * message of its own; one that fails answers its failure, and the others go on.
 */
export function answerReads(
  prepare: (sql: string) => BetterSqlite3.Statement,
  shapes: RowShapes,
  crossed: (error: unknown) => CrossedError,
  request: ReadsRequest,
): ReadsAnswer {
  const outcomes = new Array<ReadOutcome>(request.reads.length);
  for (let i = 0; i < request.reads.length; i++) {
    const read = request.reads[i]!;
    try {
      const statement = prepare(read.sql);
      // Only reads: a write here would run outside the transaction its caller meant.
      if (!statement.reader) throw new Error(`not a read: ${read.sql.slice(0, 200)}`);
      const answer = shapes.all(statement, read.bindings);
      // Sent in this answer whatever comes after: the names can be announced now.
      const columns = shapes.announce(answer.shape);
      outcomes[i] = columns ? { ...answer, columns } : answer;
    } catch (error) {
      outcomes[i] = { error: crossed(error) };
    }
  }
  return { id: request.id, outcomes };
}
