import type { Config } from '../config.js';
import type { Database } from '../data-access/database.js';
import type { ReadReplica } from '../data-access/read-replica.js';
import { UnitOfWork } from '../data-access/unit-of-work.js';
import { ActivityService } from './activity.service.js';
import { BulkChangeService } from './bulk-change.service.js';
import { SuppressionImportJobs } from './suppression-import-job.js';
import { DurableStatusService } from './durable-status.service.js';
import { FieldCatalogue } from './field-catalogue.js';
import { LeadMergeService } from './lead-merge.service.js';
import { LeadService } from './lead.service.js';
import { LinkUnsubscribeService } from './link-unsubscribe.service.js';
import { SalesforceSyncService } from './salesforce-sync.service.js';
import { SuppressionService } from './suppression.service.js';

export interface Services {
  catalogue: FieldCatalogue;
  leads: LeadService;
  merges: LeadMergeService;
  durableStatus: DurableStatusService;
  activities: ActivityService;
  salesforce: SalesforceSyncService;
  suppressions: SuppressionService;
  links: LinkUnsubscribeService;
  bulkChanges: BulkChangeService;
  suppressionImports: SuppressionImportJobs;
}

/** The domain services over one database; `now` is injectable so tests can control time. */
export function createServices(
  database: Database,
  config: Pick<Config, 'customFields' | 'defaultPartition'> &
    Partial<Pick<Config, 'batchConcurrency' | 'protectedReasons' | 'activityScanLimit'>>,
  options: {
    now?: () => number;
    onPropagation?: (people: number) => void;
    /** Read-only operations' copy of the data (DATABASE_READ_URL). */
    replica?: ReadReplica;
    /** The console's background jobs: people per batch, and how long a runner's lease lasts. */
    jobs?: { batchSize?: number; leaseMs?: number };
  } = {},
): Services {
  const uow = new UnitOfWork(database, { replica: options.replica });
  const catalogue = new FieldCatalogue(config.customFields);
  const durableStatus = new DurableStatusService(uow, {
    onPropagation: options.onPropagation,
    protectedReasons: config.protectedReasons,
    now: options.now,
  });
  const leads = new LeadService(uow, durableStatus, {
    catalogue,
    defaultPartition: config.defaultPartition,
    now: options.now,
    batchConcurrency: config.batchConcurrency,
  });
  const merges = new LeadMergeService(uow, leads, catalogue, options.now);
  const activities = new ActivityService(uow, leads, { scanLimit: config.activityScanLimit });
  const salesforce = new SalesforceSyncService(uow, leads, catalogue, { now: options.now });
  const suppressions = new SuppressionService(uow, durableStatus, options.now);
  const links = new LinkUnsubscribeService(uow, durableStatus, options.now);
  const bulkChanges = new BulkChangeService(uow, leads, catalogue, {
    now: options.now,
    protectedWords: durableStatus.protectedWords,
    ...options.jobs,
  });
  const suppressionImports = new SuppressionImportJobs(
    uow,
    suppressions,
    options.now,
    options.jobs?.leaseMs,
  );
  return {
    catalogue,
    leads,
    merges,
    durableStatus,
    activities,
    salesforce,
    suppressions,
    links,
    bulkChanges,
    suppressionImports,
  };
}
