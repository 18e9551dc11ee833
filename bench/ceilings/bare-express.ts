/**
 * Ceiling 1: a bare Express endpoint that answers every POST with a fixed XML envelope (the
 * one the service gave for the scenario). No XML parsing, no database: what HTTP and Express
 * alone cost on this machine.
 *
 *   node --import tsx bench/ceilings/bare-express.ts   (PORT, HOST from the environment)
 */
import express from 'express';
import {
  announce,
  cannedControl,
  operationOf,
  plainAnswerRoute,
  type CannedAnswers,
} from './canned.js';
import { serveInProcesses } from './cluster.js';

let answers: CannedAnswers = {};

function serve(): void {
  const app = express();
  app.disable('x-powered-by');
  cannedControl(app, (a) => (answers = a));
  plainAnswerRoute(app, (operation) => answers[operation]);
  app.post('/soap/mktows/:version', (req, res) => {
    const body = answers[operationOf(req)];
    if (body === undefined) res.status(404).type('text/plain').send('no canned answer\n');
    else res.type('text/xml; charset=utf-8').send(body);
  });

  const server = app.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
    const address = server.address();
    announce('bare-express', typeof address === 'object' && address ? address.port : 0);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

serveInProcesses('bare-express', serve, (a) => (answers = a));
