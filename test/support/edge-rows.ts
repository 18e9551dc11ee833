import { fixedSql } from '../../src/data-access/sql/statement.js';

/**
 * People at the edges of what the leads columns hold (nulls, both booleans, big ids and
 * instants, quotes, astral characters, placeholders in text), for the tests that compare a
 * read past knex's query path with knex's own.
 */
export const EDGE_KEY = 'edge@reads.example';

export const EDGE_ROWS = [
  {
    id: 2147483000,
    email: 'Edge@Reads.Example',
    email_key: EDGE_KEY,
    partition: 'Default',
    foreign_sys_person_id: '00Q-edge',
    foreign_sys_type: 'lead',
    first_name: "O'Brien ✓ 𝄞",
    company: null,
    address: 'line 1\nline 2 \\ ? $1',
    lead_score: -5,
    number_of_employees: 2147483647,
    annual_revenue: 1234.5678,
    date_of_birth: '1970-01-01',
    do_not_call: true,
    email_invalid: false,
    unsubscribed: true,
    unsubscribed_reason: null,
    custom_attributes: '{"Tier":"gold","Score":7,"Ok":true,"None":null}',
    created_at: 1764547200123,
    updated_at: 4102444800000,
    change_seq: Number.MAX_SAFE_INTEGER,
  },
  {
    id: 1,
    email: null,
    email_key: EDGE_KEY,
    partition: 'Other',
    foreign_sys_person_id: null,
    foreign_sys_type: null,
    annual_revenue: -0.5,
    do_not_call: null,
    email_invalid: null,
    unsubscribed: false,
    custom_attributes: '{}',
    created_at: 0,
    updated_at: 0,
    change_seq: 1,
  },
];

/** The hot reads' shapes: people by address key (latest first) and by id. */
export const BY_KEY = fixedSql(
  'SELECT * FROM leads WHERE email_key = ? ORDER BY change_seq DESC, id DESC',
);
export const BY_ID = fixedSql('SELECT * FROM leads WHERE id = ?');
