import net from 'node:net';

/**
 * Writes `bytes` at once on a fresh connection to 127.0.0.1:`port`; resolves with all it got
 * (as latin1) once the server closes it, rejects if it is still open after `waitMs`.
 */
export function exchangeUntilClosed(port: number, bytes: string, waitMs = 10000): Promise<string> {
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
 * A connection to 127.0.0.1:`port` (from `localAddress`, when given) that sends nothing;
 * `closed` resolves with whether the server closed it before `ms`.
 */
export function connectFor(port: number, ms: number, localAddress?: string) {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress });
  socket.on('error', () => undefined);
  const closed = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  const connected = new Promise<void>((resolve) => socket.on('connect', () => resolve()));
  return { socket, closed, connected };
}
