/**
 * What both ceilings share: the canned answers they serve, set by the benchmark over HTTP
 * before each scenario (POST /__canned, JSON { operation: responseXml }), so that a ceiling
 * answers with exactly the envelope the service answered for that scenario.
 */
import type { Express, Request } from 'express';
import express from 'express';
import { listening, shareAnswers } from './cluster.js';

export type CannedAnswers = Record<string, string>;

/** The operation a request names in its SOAPAction (…/mktows/getLead → getLead). */
export function operationOf(req: Request): string {
  const raw = req.headers.soapaction;
  const action = (Array.isArray(raw) ? raw[0] : raw) ?? '';
  return action.replace(/"/g, '').replace(/^.*\//, '');
}

/** Mounts the control endpoint; `onSet` sees every new set of answers. */
export function cannedControl(app: Express, onSet: (answers: CannedAnswers) => void): void {
  app.post('/__canned', express.json({ limit: '50mb' }), (req, res) => {
    try {
      onSet(req.body as CannedAnswers);
    } catch (error) {
      res.status(400).json({ ok: false, error: String(error) });
      return;
    }
    // Answered once every process of the ceiling has them: the load starts right after.
    void shareAnswers(req.body as CannedAnswers).then(() => res.json({ ok: true }));
  });
}

/** Prints the line the benchmark waits for, like the service does (once for all processes). */
export function announce(name: string, port: number): void {
  listening(name, port);
}

/** Scenarios that are not SOAP: their canned answer is plain text, served as is. */
export const PLAIN_OPERATIONS = ['oneClick'];

/** The one-click route (POST /u/<token>), answering the canned text without reading the body. */
export function plainAnswerRoute(app: Express, answerOf: (operation: string) => unknown): void {
  app.post('/u/:token', (_req, res) => {
    const body = answerOf('oneClick');
    if (typeof body !== 'string') res.status(404).type('text/plain').send('no canned answer\n');
    else res.type('text/plain; charset=utf-8').send(body);
  });
}
