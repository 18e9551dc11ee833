import type { Config } from '../config.js';
import type { Database } from '../data-access/database.js';
import { UnitOfWork } from '../data-access/unit-of-work.js';
import { ActivityService } from './activity.service.js';
import { DurableStatusService } from './durable-status.service.js';
import { FieldCatalogue } from './field-catalogue.js';
import { LeadService } from './lead.service.js';

export interface Services {
  catalogue: FieldCatalogue;
  leads: LeadService;
  durableStatus: DurableStatusService;
  activities: ActivityService;
}

/** The domain services over one database; `now` is injectable so tests can control time. */
export function createServices(
  database: Database,
  config: Pick<Config, 'customFields' | 'defaultPartition'>,
  options: { now?: () => number } = {},
): Services {
  const uow = new UnitOfWork(database);
  const catalogue = new FieldCatalogue(config.customFields);
  const durableStatus = new DurableStatusService(uow);
  const leads = new LeadService(uow, durableStatus, {
    catalogue,
    defaultPartition: config.defaultPartition,
    now: options.now,
  });
  const activities = new ActivityService(uow, leads);
  return { catalogue, leads, durableStatus, activities };
}
