import type { Database } from './data-access/database.js';
import type { ReadReplica } from './data-access/read-replica.js';
import { UnitOfWork } from './data-access/unit-of-work.js';
import {
  createDomainServices,
  type Services,
  type ServicesConfig,
  type ServicesOptions,
} from './domain/services.js';

export type { Services };

/**
 * The domain services over one database: data-access's units of work (and the read replica,
 * when there is one) handed to the domain. Shared by the service (main.ts), the CLI and tests.
 */
export function createServices(
  database: Database,
  config: ServicesConfig,
  options: ServicesOptions & {
    /** Read-only operations' copy of the data (DATABASE_READ_URL). */
    replica?: ReadReplica;
  } = {},
): Services {
  const { replica, ...domainOptions } = options;
  return createDomainServices(new UnitOfWork(database, { replica }), config, domainOptions);
}
