import { expect } from 'chai';
import type { NextFunction, Request, Response } from 'express';
import { errorHandler, loggedPath } from '../../src/app.js';
import type { Logger } from '../../src/logger.js';

/** What the last resort handler logs and answers for an error on `path`. */
function handle(path: string, error: unknown) {
  const logged: unknown[] = [];
  const logger = {
    error: (...args: unknown[]) => logged.push(args),
    debug: () => undefined,
  } as unknown as Logger;
  const answer: { status?: number; body?: string; headers: Record<string, string> } = {
    headers: {},
  };
  const res = {
    headersSent: false,
    setHeader: (name: string, value: string) => (answer.headers[name] = value),
    set(headers: Record<string, string>) {
      Object.assign(answer.headers, headers);
      return this;
    },
    status(code: number) {
      answer.status = code;
      return this;
    },
    type() {
      return this;
    },
    send(body: string) {
      answer.body = body;
      return this;
    },
  } as unknown as Response;
  const req = { path, socket: { destroy: () => undefined } } as unknown as Request;
  errorHandler(logger)(error, req, res, (() => undefined) as NextFunction);
  // An error as the log writes it: its message and stack included.
  const asLogged = (_key: string, value: unknown) =>
    value instanceof Error ? { message: value.message, stack: value.stack } : value;
  return { logged: JSON.stringify(logged, asLogged), answer };
}

describe('the last resort error handler', () => {
  it('logs a failure on a path that carries a credential without the credential', () => {
    const token = 'AbCdEf0123456789secretToken';
    const secret = 'hardening-path-secret-0123';
    for (const path of [
      `/u/${token}`,
      `/U/${token}/confirm`,
      `/soap/salesforce/outbound/${secret}`,
      `/SOAP/Salesforce/Outbound/${secret}`,
    ]) {
      const { logged, answer } = handle(path, new Error(`boom at ${path.slice(1)}`));
      expect(logged, path).to.contain('request failed');
      expect(logged, path).not.to.contain(token);
      expect(logged, path).not.to.contain(secret);
      expect(answer.status, path).to.equal(500);
      expect(answer.body, path).not.to.contain('boom');
    }
  });

  it('logs any other path as it is', () => {
    expect(loggedPath('/soap/mktows/2_9')).to.equal('/soap/mktows/2_9');
    expect(handle('/readyz', new Error('boom')).logged).to.contain('/readyz');
  });
});
