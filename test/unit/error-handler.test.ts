import { expect } from 'chai';
import type { NextFunction, Request, Response } from 'express';
import { errorHandler, loggedPath } from '../../src/app.js';
import { createLogger, type Logger } from '../../src/logger.js';

/**
 * What the last resort handler logs and answers for an error on `path` (Express's req.path)
 * of a request whose target was `target` (req.originalUrl).
 */
function handle(path: string, error: unknown, target = path, logger?: Logger) {
  const logged: unknown[] = [];
  logger ??= {
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
  const req = {
    path,
    originalUrl: target,
    url: target,
    socket: { destroy: () => undefined },
  } as unknown as Request;
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

  it('keeps a link token out of every log line, however the path spells the link', () => {
    const token = 'LinkToken0123456789abcdefSECRET';
    // The same token with one character escaped, as the router would still read it.
    const escaped = `${token.slice(0, 4)}%${token.charCodeAt(4).toString(16)}${token.slice(5)}`;
    // [the request's target as received, the path Express gives the handler]
    const requests: Array<[string, string]> = [
      // A one-click POST past Express's dispatch (direct-post.ts): its url is the token's.
      [`/u/${token}`, `/${token}`],
      [`http://example.test/u/${token}?lang=de`, `/u/${token}`],
      [`//u/${token}`, `//u/${token}`],
      [`/x/../u/${token}`, `/x/../u/${token}`],
      [`/./u/./${token}`, `/./u/./${token}`],
      [`/%75/${token}`, `/%75/${token}`],
      [`/%55/${token}`, `/%55/${token}`],
      [`/U/${token}`, `/U/${token}`],
      [`/u%2f${token}`, `/u%2f${token}`],
      [`\\u\\${token}`, `\\u\\${token}`],
      [`/u/${escaped}`, `/${escaped}`],
    ];
    for (const [target, path] of requests) {
      for (const error of [
        new Error(`boom at ${target}`),
        Object.assign(new Error(`bad ${path}`), { status: 400 }),
      ]) {
        const lines: string[] = [];
        const logger = createLogger('trace', { write: (line: string) => lines.push(line) });
        handle(path, error, target, logger);
        expect(lines.length, target).to.be.greaterThan(0);
        const log = lines.join('');
        expect(log, target).not.to.contain(token);
        expect(log, target).not.to.contain(escaped);
      }
    }
  });
});
