import type { TestEngine } from './database.js';
import { HttpConnection } from './http-connection.js';
import { rawCall, startTestService, syncEmailXml, type TestService } from './service.js';

/** A suite's service, its SOAP path and port, and raw connections to it. */
export interface RawServiceSuite {
  readonly port: number;
  readonly path: string;
  /** A raw connection to the service, destroyed after the test that opened it. */
  open(): Promise<HttpConnection>;
}

/**
 * Registers, in the calling describe, a service on `engine` with one lead synced by `email`
 * (so that calls by that address find it), and the closing of every raw connection a test
 * opened after it.
 */
export function rawServiceSuite(engine: TestEngine, email: string): RawServiceSuite {
  let service: TestService | undefined;
  const connections: HttpConnection[] = [];
  const suite = {
    port: 0,
    path: '',
    open: async () => {
      const connection = await HttpConnection.open(suite.port);
      connections.push(connection);
      return connection;
    },
  };
  before(async () => {
    service = await startTestService(engine);
    const url = new URL(service.url);
    suite.path = url.pathname;
    suite.port = Number(url.port);
    const r = await rawCall(service.url, syncEmailXml(email));
    if (r.status !== 200) throw new Error(`seeding ${email}: ${r.status} ${r.body}`);
  });
  afterEach(() => connections.splice(0).forEach((c) => c.destroy()));
  after(() => service?.stop());
  return suite;
}
