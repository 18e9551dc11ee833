import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { Response } from 'express';
import { AppError, ErrorCode } from '../../src/errors.js';
import {
  closeWhenBodyUnread,
  createSoapListener,
  type SoapOperation,
} from '../../src/soap-transport/listener.js';

const WSDL = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../wsdl/salesforce-outbound.wsdl',
);
const PATH = '/soap/salesforce/outbound';

const envelope = (organizationId: string) =>
  '<?xml version="1.0" encoding="UTF-8"?>' +
  '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">' +
  '<soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound">' +
  `<OrganizationId>${organizationId}</OrganizationId>` +
  '</notifications></soapenv:Body></soapenv:Envelope>';

interface CallState {
  name: string;
  seen?: string;
}

const organizationOf = (args: unknown) =>
  String((args as { OrganizationId?: unknown } | null)?.OrganizationId);

async function listenerWith(notifications: SoapOperation<CallState>, requestTimeoutMs = 10_000) {
  return createSoapListener<CallState>({
    path: PATH,
    wsdlFile: WSDL,
    service: 'NotificationService',
    port: 'Notification',
    operations: { notifications },
    requestTimeoutMs,
  });
}

describe('the SOAP listener factory (src/soap-transport/listener.ts)', () => {
  it('hands each operation the state of its own call, among concurrent calls', async () => {
    const listener = await listenerWith(async (args, _headers, call) => {
      // Yield so the calls interleave before each reads its state.
      await new Promise((resolve) => setImmediate(resolve));
      if (call) call.seen = organizationOf(args);
      return { Ack: true };
    });
    const calls: CallState[] = ['first', 'second', 'third'].map((name) => ({ name }));
    const answers = await Promise.all(
      calls.map(
        (call) =>
          listener.process(
            envelope(`org-${call.name}`),
            { headers: {}, url: PATH, soapAction: '' },
            call,
          ).answer,
      ),
    );
    expect(answers.map((a) => a.statusCode)).to.deep.equal([200, 200, 200]);
    expect(calls.map((c) => c.seen)).to.deep.equal(['org-first', 'org-second', 'org-third']);
  });

  it('answers a timeout when the operation outlasts requestTimeoutMs, and settles when the work ends', async () => {
    let finish: (() => void) | undefined;
    const listener = await listenerWith(
      () =>
        new Promise((resolve) => {
          finish = () => resolve({ Ack: true });
        }),
      20,
    );
    const { answer, settled } = listener.process(
      envelope('org'),
      { headers: {}, url: PATH, soapAction: '' },
      { name: 'slow' },
    );
    let settledYet = false;
    void settled.then(() => (settledYet = true));
    const error = await answer.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(AppError);
    expect((error as AppError).code).to.equal(ErrorCode.INTERNAL);
    expect((error as AppError).message).to.equal('Request timed out');
    expect(settledYet).to.equal(false);
    expect(finish).to.be.a('function');
    finish!();
    const result = await settled;
    expect(result.statusCode).to.equal(200);
  });

  it('answers the outcome of a call being committed at the timeout, or 20011 after the grace', async () => {
    const finishes: Array<() => void> = [];
    const listener = await createSoapListener<CallState>({
      path: PATH,
      wsdlFile: WSDL,
      service: 'NotificationService',
      port: 'Notification',
      operations: {
        notifications: () => new Promise((resolve) => finishes.push(() => resolve({ Ack: true }))),
      },
      requestTimeoutMs: 20,
      // Every call is being committed at its deadline.
      timedOut: () => false,
      commitGraceMs: 200,
    });
    const call = () =>
      listener.process(envelope('org'), { headers: {}, url: PATH, soapAction: '' }, { name: 'c' })
        .answer;
    const waited = call();
    const abandoned = call();
    // Past the timeout, within the grace: the first commit ends and is the answer.
    await new Promise((resolve) => setTimeout(resolve, 60));
    finishes[0]!();
    expect((await waited).statusCode).to.equal(200);
    const error = await abandoned.then(
      () => null,
      (e: unknown) => e,
    );
    expect((error as AppError).code).to.equal(ErrorCode.DATABASE_UNAVAILABLE);
    finishes[1]!();
  });

  it('serves the WSDL binding of its port', async () => {
    const listener = await listenerWith(async () => ({ Ack: true }));
    expect(Object.values(listener.binding.topElements).map((e) => e.methodName)).to.include(
      'notifications',
    );
    expect(listener.wsdlXml).to.contain('NotificationService');
  });
});

describe('closeWhenBodyUnread', () => {
  const headersAfter = (error: unknown, bodyRead = true) => {
    const set: Record<string, string> = {};
    const res = {
      req: { complete: bodyRead },
      setHeader: (name: string, value: string) => (set[name] = value),
    } as unknown as Response;
    closeWhenBodyUnread(res, error);
    return set;
  };

  it('ends the connection after a body too large or too slow to read', () => {
    for (const code of [ErrorCode.REQUEST_TOO_LARGE, ErrorCode.REQUEST_TIMEOUT]) {
      expect(headersAfter(new AppError(code, 'x')), code).to.deep.equal({ Connection: 'close' });
    }
  });

  it('ends the connection after any fault whose body was not read to its end', () => {
    // A refused body drained no further than its cap: the rest is not a request.
    expect(headersAfter(new AppError(ErrorCode.AUTHENTICATION_FAILED, 'x'), false)).to.deep.equal({
      Connection: 'close',
    });
  });

  it('keeps the connection after any other fault', () => {
    expect(headersAfter(new AppError(ErrorCode.AUTHENTICATION_FAILED, 'x'))).to.deep.equal({});
    expect(headersAfter(new Error('boom'))).to.deep.equal({});
  });
});
