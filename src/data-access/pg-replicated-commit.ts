import pg from 'pg';

/**
 * With synchronous replication, COMMIT waits for the standby, and statement_timeout does not
 * bound that wait: a standby that is gone would hold the call and its connection forever.
 * After the timeout the COMMIT is cancelled (a cancel request, as psql's Ctrl-C; PgBouncer
 * relays it): PostgreSQL then keeps the transaction committed on the primary alone and
 * answers with a mere warning. Such a write is not yet safe from a failover, so it is not
 * acknowledged: it fails as "database unavailable", and the caller's retry (idempotent) finds
 * it done.
 */
export class CommitNotReplicated extends Error {
  override name = 'CommitNotReplicated';
  constructor() {
    super('COMMIT was not confirmed by the synchronous standby');
  }
}

interface PgConnectionInternals {
  on(event: 'notice', listener: (notice: { message?: string }) => void): unknown;
  off(event: 'notice', listener: (notice: { message?: string }) => void): unknown;
  host: string;
  port: number;
  processID: number | null;
  secretKey: number | null;
}

interface CancelConnection {
  connect(port: number, host: string): void;
  cancel(processID: number, secretKey: number): void;
  on(event: string, listener: () => void): unknown;
}

/** Sends PostgreSQL (or PgBouncer) a cancel request for what the connection is running. */
function sendCancel(client: PgConnectionInternals): void {
  if (client.processID === null || client.secretKey === null) return;
  const Connection = (pg as unknown as { Connection: new () => CancelConnection }).Connection;
  const con = new Connection();
  con.on('connect', () => con.cancel(client.processID!, client.secretKey!));
  con.on('error', () => undefined);
  con.connect(client.port, client.host);
}

/**
 * Runs `commit` (a COMMIT sent on `connection`), cancelling it after `cancelAfterMs` (0: never),
 * and fails with CommitNotReplicated when PostgreSQL warned that the standby did not confirm it.
 */
export async function replicatedCommit<T>(
  connection: object,
  cancelAfterMs: number,
  commit: () => Promise<T>,
): Promise<T> {
  const client = connection as PgConnectionInternals;
  let unconfirmed = false;
  const onNotice = (notice: { message?: string }) => {
    if (/wait for synchronous replication/i.test(notice.message ?? '')) unconfirmed = true;
  };
  client.on('notice', onNotice);
  const timer = cancelAfterMs > 0 ? setTimeout(() => sendCancel(client), cancelAfterMs) : null;
  try {
    const result = await commit();
    if (unconfirmed) throw new CommitNotReplicated();
    return result;
  } finally {
    if (timer) clearTimeout(timer);
    client.off('notice', onNotice);
  }
}
