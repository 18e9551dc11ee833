import type { Request, Response } from 'express';
import { VERSION } from '../package-info.js';
import { MACHINE_ANSWER_HEADERS } from './protocol-answers.js';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * `GET /`: what this service is and where its endpoints are, so that a person who opens the
 * address in a browser (or a script probing it) finds the SOAP endpoint, its WSDL and the
 * operator pages. JSON unless the client prefers HTML. Paths are relative to this address, so
 * nothing taken from the request's headers is echoed.
 */
export function serviceIndex(req: Request, res: Response): void {
  const links = {
    soapEndpoint: '/soap/mktows/2_9',
    wsdl: '/soap/mktows/2_9?WSDL',
    operatorPages: '/admin/',
    health: '/healthz',
    readiness: '/readyz',
  };
  // A page of plain links: nothing to run, load or frame, so the machine answers' headers suit it.
  res.set(MACHINE_ANSWER_HEADERS);
  if (req.accepts(['json', 'html']) === 'html') {
    const items = Object.entries({
      'SOAP endpoint (mktows 2.9)': links.soapEndpoint,
      WSDL: links.wsdl,
      'Operator pages': links.operatorPages,
      Health: links.health,
      Readiness: links.readiness,
    })
      .map(
        ([name, href]) => `<li>${escape(name)}: <a href="${escape(href)}">${escape(href)}</a></li>`,
      )
      .join('\n');
    res
      .type('html')
      .send(
        `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>durable-unsubscribe</title></head>\n<body><h1>durable-unsubscribe ${escape(VERSION)}</h1>\n<p>Keeps email unsubscribes durable behind the mktows SOAP API.</p>\n<ul>\n${items}\n</ul></body></html>\n`,
      );
    return;
  }
  res.json({ service: 'durable-unsubscribe', version: VERSION, ...links });
}
