import type { Server } from 'node:http';
import { idleTimeoutMs } from './unread-bodies.js';

/**
 * How often node looks for connections past their header or request timeout. Its default is
 * 30 s: a client sending its headers a byte at a time (slowloris) held its connection for 60 to
 * 70 s whatever headersTimeout said. Each look walks the connections still receiving a request,
 * which costs little once a second.
 */
export const CONNECTIONS_CHECKING_MS = 1000;

export interface ConnectionTimeouts {
  maxConnections: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  bodyTimeoutMs: number;
}

/**
 * The service listener's bounds, from the configuration: at most MAX_CONNECTIONS connections
 * (each holds a descriptor and some memory; past the bound a flood of idle connections would
 * take the descriptors the database needs), headers within HEADERS_TIMEOUT_MS, the whole
 * request within what a call may take, no connection silent for longer than idleTimeoutMs.
 * Set when the port is bound, so they hold while the service starts too.
 */
export function applyConnectionBounds(server: Server, config: ConnectionTimeouts): void {
  server.maxConnections = config.maxConnections;
  server.headersTimeout = config.headersTimeoutMs;
  // node requires requestTimeout >= headersTimeout.
  server.requestTimeout = Math.max(config.requestTimeoutMs + 5000, 30000, config.headersTimeoutMs);
  server.timeout = idleTimeoutMs(config);
}
