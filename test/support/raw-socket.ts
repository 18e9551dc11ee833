import net from 'node:net';

/**
 * Writes `bytes` at once on a fresh connection to 127.0.0.1:`port`; resolves with all it got
 * (as latin1) once the server closes it, rejects if it is still open after `waitMs`.
 */
export function exchangeUntilClosed(
  port: number,
  bytes: string | Buffer,
  waitMs = 10000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connection still open after ${waitMs} ms; got ${data.slice(0, 200)}`));
    }, waitMs);
    socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(data);
    });
    socket.on('error', () => undefined);
    socket.write(bytes);
  });
}

/** The headers of a raw answer (as exchangeUntilClosed gives it), as fetch would give them. */
export function headersOf(answer: string): Headers {
  const headers = new Headers();
  for (const line of answer.split('\r\n\r\n')[0]!.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return headers;
}

/**
 * A connection to 127.0.0.1:`port` (from `localAddress`, when given) that sends nothing:
 * `connected` resolves once it is open on this side, `closed` once it is closed.
 */
export function holdConnection(port: number, localAddress?: string) {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, closed, connected };
}

/** What the server did with a connection asked something: its answer's status, or null (closed unanswered). */
export interface Asked {
  status: number | null;
  socket: net.Socket;
}

/**
 * Asks `GET path` on a new connection to 127.0.0.1:`port` (from `localAddress`, when given):
 * resolves with the answer's status once its status line arrives (the connection left open,
 * kept alive, until the caller closes it), or with null when the server closes it unanswered.
 * The server alone decides which, with no clock on this side: on a busy machine the outcome
 * comes later, never otherwise. (Reading "still open after N ms" as kept took a server that
 * did not run for N ms, the process stalled, for one keeping the connection.)
 */
export function askOnNewConnection(port: number, path: string, localAddress?: string) {
  const { socket, closed } = holdConnection(port, localAddress);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  return new Promise<Asked>((resolve) => {
    let got = '';
    socket.on('data', (chunk: Buffer) => {
      got += chunk.toString('latin1');
      const line = /^HTTP\/1\.1 (\d{3}) /.exec(got);
      if (line) resolve({ status: Number(line[1]), socket });
    });
    void closed.then(() => resolve({ status: null, socket }));
  });
}

/**
 * askOnNewConnection until a connection is answered, for a server that counts a connection
 * gone only once it sees it close, a moment after the client (a refused attempt costs nothing:
 * it is never counted); fails after `withinMs`.
 */
export async function answeredOnNewConnection(
  port: number,
  path: string,
  localAddress?: string,
  withinMs = 20000,
): Promise<Asked> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const asked = await askOnNewConnection(port, path, localAddress);
    if (asked.status !== null) return asked;
    if (Date.now() >= deadline)
      throw new Error(`GET ${path}: every new connection closed unanswered for ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Between two pieces of a request sent apart: long enough that each arrives in its own read. */
const PIECE_GAP_MS = 100;

export interface TimedExchange {
  /** All the server sent (latin1). */
  got: string;
  /** From the first byte written to the server's close. */
  ms: number;
}

/**
 * Writes `bytes` on a fresh connection to 127.0.0.1:`port` (an array: each piece in its own
 * write, `PIECE_GAP_MS` apart), then shuts down the sending side (as `nc -N`, or a script's
 * shutdown(SHUT_WR)) unless `halfClose` is false; resolves with all the server sent once it
 * closes the connection, and how long that took, rejects if it is still open after `waitMs`.
 */
export function timedExchange(
  port: number,
  bytes: string | readonly string[],
  halfClose = true,
  waitMs = 20000,
): Promise<TimedExchange> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    const start = Date.now();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connection still open after ${waitMs} ms; got ${got.slice(0, 300)}`));
    }, waitMs);
    socket.on('data', (chunk: Buffer) => (got += chunk.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ got, ms: Date.now() - start });
    });
    socket.on('error', () => undefined);
    const pieces = typeof bytes === 'string' ? [bytes] : [...bytes];
    const next = () => {
      const piece = pieces.shift()!;
      if (pieces.length > 0) {
        socket.write(piece);
        setTimeout(next, PIECE_GAP_MS);
      } else if (halfClose) socket.end(piece);
      else socket.write(piece);
    };
    next();
  });
}

/** The status of every answer in a raw exchange, in order, each read by its framing. */
export function answerStatuses(got: string): number[] {
  const found: number[] = [];
  let at = 0;
  while (at < got.length) {
    const headEnd = got.indexOf('\r\n\r\n', at);
    if (headEnd === -1) break;
    const head = got.slice(at, headEnd);
    const status = /^HTTP\/1\.1 (\d{3}) /.exec(head);
    if (!status) break;
    found.push(Number(status[1]));
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (length) at = headEnd + 4 + Number(length[1]);
    else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      const last = got.indexOf('\r\n0\r\n\r\n', headEnd);
      if (last === -1) break;
      at = last + 7;
    } else break;
  }
  return found;
}
