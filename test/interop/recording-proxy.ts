import net from 'node:net';

/**
 * A TCP relay in front of the service that keeps every byte a client sent, connection by
 * connection: what a toolkit writes on the wire (HTTP headers, Expect, the envelope as
 * serialized), read by a test after the client has run. Port 0; close() ends every connection.
 */
export interface RecordingProxy {
  /** `url` with the relay's host and port in place of the service's. */
  via(url: string): string;
  /** What clients sent, one string (latin1, bytes as read) per connection, in order of connection. */
  sent(): string[];
  close(): Promise<void>;
}

export async function recordingProxy(target: {
  host: string;
  port: number;
}): Promise<RecordingProxy> {
  const connections: Buffer[][] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const received: Buffer[] = [];
    connections.push(received);
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (d: Buffer) => received.push(d));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    via(url) {
      const u = new URL(url);
      u.host = `127.0.0.1:${port}`;
      return u.toString();
    },
    sent: () => connections.map((c) => Buffer.concat(c).toString('latin1')),
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
