import { isIP } from 'node:net';
import {
  ConfigError,
  quoted,
  type Setting,
  integer,
  optionalPort,
  publicUrl,
  trustProxy,
} from './parse.js';
import { usableCpus } from './cpu-quota.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * An interface to listen on (HOST, METRICS_HOST): empty, an IP address, or a name of letters,
 * digits, dots, hyphens and underscores (a container's service name), at most 253 characters.
 * Whether a name resolves, and to an address of this machine, only the start can tell; what no
 * name can be is refused here, so that "config" refuses it as the start does.
 */
export function listenHost(env: string) {
  return (raw: string): string => {
    const v = raw.trim();
    if (v === '' || isIP(v) !== 0 || /^[A-Za-z0-9._-]{1,253}$/.test(v)) return v;
    throw new ConfigError(
      `${env}: ${quoted(raw)} is not an IP address or a host name (letters, digits, dots, hyphens and underscores)`,
    );
  };
}

/** WORKERS: a count, or empty (0 here) for the engine's default (defaultWorkers). */
function workerCount(raw: string): number {
  if (raw.trim() === '') return 0;
  return integer('WORKERS', 1, 256)(raw);
}

/** MAX_CONNECTIONS_PER_ADDRESS: a count (0: no cap), or empty (null) for a quarter of MAX_CONNECTIONS. */
function connectionsPerAddress(raw: string): number | null {
  if (raw.trim() === '') return null;
  return integer('MAX_CONNECTIONS_PER_ADDRESS', 0, 1000000)(raw);
}

/** MAX_HEADER_BYTES: a size, or empty (null) for node's own (NODE_OPTIONS=--max-http-header-size). */
function headerBytes(raw: string): number | null {
  if (raw.trim() === '') return null;
  return integer('MAX_HEADER_BYTES', 1024, 1048576)(raw);
}

/**
 * Processes an instance runs when WORKERS is empty. PostgreSQL: one per core this process may
 * use (the cores, at most the container's CPU quota: cpu-quota.ts). The embedded SQLite file: one, because its writes take one file lock whatever the
 * process count: a second process only adds lock waits and splits the group commit (measured:
 * an unsubscribe reaching 10 people went from 445 to 280 calls/s with two processes).
 */
export function defaultWorkers(engine: 'sqlite' | 'postgres', cgroupRoot?: string): number {
  return engine === 'postgres' ? usableCpus(cgroupRoot) : 1;
}

/** Listeners: ports, request limits, proxies, logs and metrics. */
export const listenerSettings = {
  port: {
    env: 'PORT',
    default: '8080',
    meaning: 'HTTP port of the SOAP endpoint',
    parse: integer('PORT', 0, 65535),
  },
  workers: {
    env: 'WORKERS',
    default: '',
    meaning:
      'Worker processes of this instance, each a full service on PORT, with limits and /metrics kept for the instance as a whole (empty: on PostgreSQL one per core this process may use: the cores os.availableParallelism() reports, at most the cgroup CPU quota (docker run --cpus) rounded up; on the embedded SQLite file 1; 1: a single process)',
    parse: workerCount,
  },
  heapGrowthPercent: {
    env: 'HEAP_GROWTH_PERCENT',
    default: '100',
    meaning:
      "How far each process's JavaScript heap may grow past what its last full garbage collection kept before the next one, in percent (V8's --heap-growing-percent, for the main thread and the SQLite threads); 0: V8's own choice, up to 300 % on a large machine (docs/operations.md#memory)",
    parse: integer('HEAP_GROWTH_PERCENT', 0, 300),
  },
  host: {
    env: 'HOST',
    default: '0.0.0.0',
    meaning:
      'Interface to listen on: an address or name of this machine (0.0.0.0: every IPv4 interface; empty or ::, every interface, IPv6 and IPv4; 127.0.0.1: this machine only)',
    parse: listenHost('HOST'),
  },
  maxBodyBytes: {
    env: 'MAX_BODY_BYTES',
    default: '1048576',
    meaning: 'Largest request body accepted, after decompression',
    parse: integer('MAX_BODY_BYTES', 1024, 1073741824),
  },
  maxHeaderBytes: {
    env: 'MAX_HEADER_BYTES',
    default: '',
    meaning:
      "Largest request line and headers accepted on PORT, together (1024 to 1048576; empty: node's, 16384 unless NODE_OPTIONS=--max-http-header-size says otherwise); larger ones get HTTP 431 and the connection closes. Raise it only for clients that send very long cookies or URLs: each connection may hold this much while its headers arrive. Under 4096 while unsubscribe links are on, every command warns: the one-click of a long link (a token of up to 1,450 characters) may be refused 431",
    parse: headerBytes,
  },
  requestTimeoutMs: {
    env: 'REQUEST_TIMEOUT_MS',
    default: '30000',
    meaning:
      'Longest a SOAP call may take before it is answered with a fault; an unsubscribe link request (/u) is answered 503 with Retry-After then, a console page or change (person, address, bulk preview) its 503 error page, and either stores nothing unless its write was already being committed (COMMIT_GRACE_MS)',
    parse: integer('REQUEST_TIMEOUT_MS', 100, 3600000),
  },
  commitGraceMs: {
    env: 'COMMIT_GRACE_MS',
    default: '10000',
    meaning:
      'How long past REQUEST_TIMEOUT_MS a SOAP call (mktows, or a Salesforce outbound message) whose write was already being committed waits for that commit, to answer its outcome (then fault 20011: outcome unknown); a call timed out before that stores nothing and is answered 10001 at REQUEST_TIMEOUT_MS',
    parse: integer('COMMIT_GRACE_MS', 0, 3600000),
  },
  bodyTimeoutMs: {
    env: 'BODY_TIMEOUT_MS',
    default: '30000',
    meaning:
      'Longest a client may take to send a request body, on every path (a SOAP call sent slower gets fault 20012, with HTTP 500 as every SOAP fault; /u and the console forms a plain 408); a refused or unread body is discarded no longer, then the connection closes',
    parse: integer('BODY_TIMEOUT_MS', 100, 3600000),
  },
  headersTimeoutMs: {
    env: 'HEADERS_TIMEOUT_MS',
    default: '10000',
    meaning:
      "Longest a client may take to send a request's headers, on every listener (slower ones get HTTP 408 and are closed within a second of it)",
    parse: integer('HEADERS_TIMEOUT_MS', 500, 600000),
  },
  keepAliveTimeoutMs: {
    env: 'KEEP_ALIVE_TIMEOUT_MS',
    default: '120000',
    meaning:
      "How long the service port keeps a connection open, idle, after its last answer, for the client's next request (advertised as Keep-Alive: timeout=N, its seconds rounded down; the connection closes a second after it); set it above the idle time of the client pools and of any proxy or load balancer in front (.NET Framework 100 s, AWS ALB 60 s), or their next call on a connection this side closed fails. Idle connections stay bounded by MAX_CONNECTIONS and MAX_CONNECTIONS_PER_ADDRESS; SIGTERM closes them at once",
    parse: integer('KEEP_ALIVE_TIMEOUT_MS', 1000, 3600000),
  },
  maxConnections: {
    env: 'MAX_CONNECTIONS',
    default: '4096',
    meaning:
      'Most connections each listener of a process holds open at once (the service port, the metrics port); a connection beyond them is closed as it arrives',
    parse: integer('MAX_CONNECTIONS', 16, 1000000),
  },
  maxConnectionsPerAddress: {
    env: 'MAX_CONNECTIONS_PER_ADDRESS',
    default: '',
    meaning:
      "Most connections one client address (IPv6: its /64) holds open at once on the service port of a process, counted by the connecting address, not X-Forwarded-For (empty: a quarter of MAX_CONNECTIONS; 0: no cap); a connection beyond them is closed as it arrives. Behind a reverse proxy every connection is the proxy's: set 0, or the share of MAX_CONNECTIONS that proxy may take",
    parse: connectionsPerAddress,
  },
  maxPipelinedRequests: {
    env: 'MAX_PIPELINED_REQUESTS',
    default: '32',
    meaning:
      'Most requests one connection of the service port or the metrics port may have waiting behind the one being answered (HTTP pipelining); the connection sending one more is closed, the waiting requests dropped unanswered',
    parse: integer('MAX_PIPELINED_REQUESTS', 1, 10000),
  },
  maxStalledAnswerBytes: {
    env: 'MAX_STALLED_ANSWER_BYTES',
    default: '268435456',
    meaning:
      'Most bytes of answers a process holds, in all, for connections of the service port whose clients have stopped reading them (nothing taken for a second); past it those connections are closed, the one holding the most first, until the rest fit (0: no bound but the idle timeout). A client reading, however slowly, is never closed for it',
    parse: integer('MAX_STALLED_ANSWER_BYTES', 0, Number.MAX_SAFE_INTEGER),
  },
  trustProxy: {
    env: 'TRUST_PROXY',
    default: 'false',
    meaning:
      'Reverse proxies whose X-Forwarded-For/-Proto/-Host are believed: false, the number of proxies in front (e.g. 1), or their comma-separated addresses/CIDR blocks (loopback, linklocal, uniquelocal also accepted); true is refused',
    parse: trustProxy,
  },
  metricsPort: {
    env: 'METRICS_PORT',
    default: '9464',
    meaning:
      'Port of the separate /metrics listener (on METRICS_HOST, never the public port); empty or off: no metrics listener; 0: any free port',
    parse: optionalPort('METRICS_PORT'),
  },
  metricsHost: {
    env: 'METRICS_HOST',
    default: '127.0.0.1',
    meaning: 'Interface of the /metrics listener (loopback unless a scraper must reach it)',
    parse: listenHost('METRICS_HOST'),
  },
  maxAttributesPerElement: {
    env: 'MAX_ATTRIBUTES_PER_ELEMENT',
    default: '100',
    meaning:
      'Most attributes (namespace declarations included) one element of a SOAP request may carry (fault 20012)',
    parse: integer('MAX_ATTRIBUTES_PER_ELEMENT', 8, 100000),
  },
  publicUrl: {
    env: 'PUBLIC_URL',
    default: '',
    meaning:
      "Base URL clients reach the service at (e.g. https://soap.example.com); when set, the WSDLs' soap:address uses it instead of the request's Host",
    parse: publicUrl,
  },
  logLevel: {
    env: 'LOG_LEVEL',
    default: 'info',
    meaning: 'Log level (fatal, error, warn, info, debug, trace, silent; any case)',
    // Any case: LOG_LEVEL=DEBUG, as other tools take it, refused at a restart stopped the service.
    parse: (raw: string) => {
      const level = LOG_LEVELS.find((l) => l === raw.trim().toLowerCase());
      if (level === undefined)
        throw new ConfigError(
          `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${quoted(raw)}`,
        );
      return level;
    },
  },
} satisfies Record<string, Setting<unknown>>;
