import type { Knex } from 'knex';
import * as m20261126000000 from './20261126000000_leads_and_durable_status.js';
import * as m20261126000100 from './20261126000100_mktows_users.js';
import * as m20261126000200 from './20261126000200_salesforce_notifications.js';
import * as m20261126000300 from './20261126000300_operators.js';
import * as m20261130000000 from './20261130000000_status_recorded_at.js';
import * as m20261130000100 from './20261130000100_lifted_suppressions.js';
import * as m20261130000200 from './20261130000200_user_permissions.js';
import * as m20261130000300 from './20261130000300_activity_filter_indexes.js';
import * as m20261130000400 from './20261130000400_lead_change_sequence.js';
import * as m20261130000500 from './20261130000500_console.js';
import * as m20261130000600 from './20261130000600_unsubscribe_address_function.js';
import * as m20261201000000 from './20261201000000_fewer_lead_index_entries.js';
import * as m20261202000000 from './20261202000000_stale_read_check.js';
import * as m20261202000100 from './20261202000100_one_lead_activity_index.js';
import * as m20261202000200 from './20261202000200_type_index_without_data_values.js';
import * as m20261202000300 from './20261202000300_propagation_followers.js';
import * as m20261202000400 from './20261202000400_lead_activity_plans.js';
import * as m20261203000900 from './20261203000900_operator_session_credentials.js';
import * as m20261203001100 from './20261203001100_folded_email_keys.js';
import * as m20261203001300 from './20261203001300_batch_moved_check.js';
import * as m20261203002000 from './20261203002000_bigint_activity_ids.js';
import * as m20261203002100 from './20261203002100_unsubscribe_once_nobody_holds.js';
import * as m20261203004000 from './20261203004000_lead_other_activity_types_index.js';
import * as m20261203005000 from './20261203005000_link_key_fingerprints.js';
import * as m20261203006000 from './20261203006000_kept_prepared_statements.js';
import * as m20261203006500 from './20261203006500_lead_update_horizon.js';
import * as m20261204000000 from './20261204000000_drop_lead_activity_nth_id.js';
import * as m20261204000100 from './20261204000100_mailbox_spellings.js';
import * as m20261204000200 from './20261204000200_salesforce_opt_out_watch.js';
import * as m20261205000100 from './20261205000100_salesforce_reported_address.js';
import * as m20261205000200 from './20261205000200_salesforce_address_opt_outs.js';
import * as m20261205002500 from './20261205002500_import_file_names.js';
import * as m20261205100000 from './20261205100000_salesforce_record_organizations.js';
import * as m20261205200000 from './20261205200000_operator_session_last_seen.js';
import * as m20261206000000 from './20261206000000_idna_domain_keys.js';
import * as m20261206003000 from './20261206003000_unsubscribe_once_status_first.js';
import * as m20261206004000 from './20261206004000_idna_deviation_keys.js';
import * as m20261206005000 from './20261206005000_idna_escaped_salesforce_emails.js';
import * as m20261206005100 from './20261206005100_kept_opt_outs_listed.js';
import * as m20261207000000 from './20261207000000_operator_session_clients.js';

/** Every migration in order. Listed explicitly so the same code runs from source and from dist. */
export const migrations: ReadonlyArray<readonly [string, Knex.Migration]> = [
  ['20261126000000_leads_and_durable_status', m20261126000000],
  ['20261126000100_mktows_users', m20261126000100],
  ['20261126000200_salesforce_notifications', m20261126000200],
  ['20261126000300_operators', m20261126000300],
  ['20261130000000_status_recorded_at', m20261130000000],
  ['20261130000100_lifted_suppressions', m20261130000100],
  ['20261130000200_user_permissions', m20261130000200],
  ['20261130000300_activity_filter_indexes', m20261130000300],
  ['20261130000400_lead_change_sequence', m20261130000400],
  ['20261130000500_console', m20261130000500],
  ['20261130000600_unsubscribe_address_function', m20261130000600],
  ['20261201000000_fewer_lead_index_entries', m20261201000000],
  ['20261202000000_stale_read_check', m20261202000000],
  ['20261202000100_one_lead_activity_index', m20261202000100],
  ['20261202000200_type_index_without_data_values', m20261202000200],
  ['20261202000300_propagation_followers', m20261202000300],
  ['20261202000400_lead_activity_plans', m20261202000400],
  ['20261203000900_operator_session_credentials', m20261203000900],
  ['20261203001100_folded_email_keys', m20261203001100],
  ['20261203001300_batch_moved_check', m20261203001300],
  ['20261203002000_bigint_activity_ids', m20261203002000],
  ['20261203002100_unsubscribe_once_nobody_holds', m20261203002100],
  ['20261203004000_lead_other_activity_types_index', m20261203004000],
  ['20261203005000_link_key_fingerprints', m20261203005000],
  ['20261203006000_kept_prepared_statements', m20261203006000],
  ['20261203006500_lead_update_horizon', m20261203006500],
  ['20261204000000_drop_lead_activity_nth_id', m20261204000000],
  ['20261204000100_mailbox_spellings', m20261204000100],
  ['20261204000200_salesforce_opt_out_watch', m20261204000200],
  ['20261205000100_salesforce_reported_address', m20261205000100],
  ['20261205000200_salesforce_address_opt_outs', m20261205000200],
  ['20261205002500_import_file_names', m20261205002500],
  ['20261205100000_salesforce_record_organizations', m20261205100000],
  ['20261205200000_operator_session_last_seen', m20261205200000],
  ['20261206000000_idna_domain_keys', m20261206000000],
  ['20261206003000_unsubscribe_once_status_first', m20261206003000],
  ['20261206004000_idna_deviation_keys', m20261206004000],
  ['20261206005000_idna_escaped_salesforce_emails', m20261206005000],
  ['20261206005100_kept_opt_outs_listed', m20261206005100],
  ['20261207000000_operator_session_clients', m20261207000000],
];
