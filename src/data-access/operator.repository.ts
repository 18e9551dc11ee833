import type { Knex } from 'knex';
import { classified } from './classified.js';
import type { OperatorRecord } from '../domain/records.js';

type Row = Record<string, unknown>;

const toRecord = (r: Row): OperatorRecord => ({
  name: r.name as string,
  passwordHash: r.password_hash as string,
  createdAt: Number(r.created_at),
});

/** Operators of the /admin pages stored with the CLI; their passwords only as hashes. */
export class OperatorRepository {
  constructor(private readonly db: Knex) {}

  async find(name: string): Promise<OperatorRecord | null> {
    return classified(async () => {
      const row = (await this.db('operators').where('name', name).first()) as Row | undefined;
      return row ? toRecord(row) : null;
    });
  }

  async list(): Promise<OperatorRecord[]> {
    return classified(async () =>
      ((await this.db('operators').orderBy('name')) as Row[]).map(toRecord),
    );
  }

  async insert(operator: OperatorRecord): Promise<void> {
    return classified(async () => {
      await this.db('operators').insert({
        name: operator.name,
        password_hash: operator.passwordHash,
        created_at: operator.createdAt,
      });
    });
  }

  async replacePassword(name: string, passwordHash: string): Promise<number | null> {
    return classified(() =>
      this.db.transaction(async (trx): Promise<number | null> => {
        const updated = await trx('operators')
          .where('name', name)
          .update({ password_hash: passwordHash });
        if (updated === 0) return null;
        return trx('operator_sessions').where('operator_name', name).delete();
      }),
    );
  }

  /** Removes the operator and ends its sessions in one transaction. */
  async remove(name: string): Promise<boolean> {
    return classified(() =>
      this.db.transaction(async (trx) => {
        await trx('operator_sessions').where('operator_name', name).delete();
        return (await trx('operators').where('name', name).delete()) > 0;
      }),
    );
  }
}
