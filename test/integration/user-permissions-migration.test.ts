import { expect } from 'chai';
import * as permissionsMigration from '../../migrations/20261130000200_user_permissions.js';
import { testEngines } from '../support/database.js';

for (const engine of testEngines()) {
  describe(`upgrading to per-user permissions (${engine.name})`, () => {
    it('gives every user stored before it full access', async () => {
      const made = await engine.create();
      try {
        const knex = made.db.knex;
        // The users table as it was before the permissions migration, with a user in it.
        await permissionsMigration.down(knex);
        await knex('mktows_users').insert({
          user_id: 'old_integration',
          encryption_key: 'sealed key',
          description: 'stored before permissions',
          created_at: Date.UTC(2026, 0, 1),
        });
        await permissionsMigration.up(knex);
        const row = (await knex('mktows_users').where('user_id', 'old_integration').first()) as {
          read_only: unknown;
          may_delete: unknown;
          partitions: unknown;
        };
        // Not read-only, may delete, every partition.
        expect(Boolean(row.read_only)).to.equal(false);
        expect(Boolean(row.may_delete)).to.equal(true);
        expect(row.partitions).to.equal(null);
      } finally {
        await made.drop();
      }
    });
  });
}
