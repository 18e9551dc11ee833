import type { Config } from '../config.js';
import type { Database } from '../data-access/database.js';
import type { ReadReplica } from '../data-access/read-replica.js';
import { UnitOfWork } from '../data-access/unit-of-work.js';
import { ActivityService } from './activity.service.js';
import { DurableStatusService } from './durable-status.service.js';
import { FieldCatalogue } from './field-catalogue.js';
import { LeadService } from './lead.service.js';
import { SalesforceSyncService } from './salesforce-sync.service.js';
import { SuppressionService } from './suppression.service.js';

export interface Services {
  catalogue: FieldCatalogue;
  leads: LeadService;
  durableStatus: DurableStatusService;
  activities: ActivityService;
  salesforce: SalesforceSyncService;
  suppressions: SuppressionService;
}

/** The domain services over one database; `now` is injectable so tests can control time. */
export function createServices(
  database: Database,
  config: Pick<Config, 'customFields' | 'defaultPartition'> &
    Partial<Pick<Config, 'batchConcurrency'>>,
  options: {
    now?: () => number;
    onPropagation?: (people: number) => void;
    /** Read-only operations' copy of the data (DATABASE_READ_URL). */
    replica?: ReadReplica;
  } = {},
): Services {
  const uow = new UnitOfWork(database, { replica: options.replica });
  const catalogue = new FieldCatalogue(config.customFields);
  const durableStatus = new DurableStatusService(uow, options.onPropagation);
  const leads = new LeadService(uow, durableStatus, {
    catalogue,
    defaultPartition: config.defaultPartition,
    now: options.now,
    batchConcurrency: config.batchConcurrency,
  });
  const activities = new ActivityService(uow, leads);
  const salesforce = new SalesforceSyncService(uow, leads, catalogue, { now: options.now });
  const suppressions = new SuppressionService(uow, options.now);
  return { catalogue, leads, durableStatus, activities, salesforce, suppressions };
}
