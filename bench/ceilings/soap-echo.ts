/**
 * Ceiling 2: a bare node-soap service on the same WSDL, mounted on Express the way node-soap's
 * documentation shows. Each operation parses the request envelope (the very bytes the service
 * gets) and answers with the object node-soap itself read back from the service's answer for
 * that scenario, so it serialises an envelope of the same size and shape. No envelope guard,
 * no authentication, no database: what node-soap costs on this machine.
 *
 *   node --import tsx bench/ceilings/soap-echo.ts   (PORT, HOST from the environment)
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import * as soap from 'soap';
import { RAW_TEXT_TYPES } from '../../src/soap-transport/soap-engine.js';
import {
  announce,
  cannedControl,
  PLAIN_OPERATIONS,
  plainAnswerRoute,
  type CannedAnswers,
} from './canned.js';
import { serveInProcesses } from './cluster.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const wsdlXml = fs.readFileSync(path.join(ROOT, 'wsdl', 'mktows.wsdl'), 'utf8');
const OPERATIONS = [
  'getLead',
  'syncLead',
  'syncMultipleLeads',
  'getLeadActivity',
  'getMultipleLeads',
  'getLeadChanges',
  'deleteLead',
];
// The service keeps typed leaves as raw text; parse the same way so both do the same work.
const RAW = (t: string) => t;
const RAW_TYPES = Object.fromEntries(RAW_TEXT_TYPES.map((t) => [t, RAW]));

interface NodeSoapServer {
  wsdl: { xmlnsInEnvelope: string; xmlToObject(xml: string): { Body?: Record<string, unknown> } };
}

let answers: Record<string, unknown> = {};
const port: Record<string, () => unknown> = {};
for (const op of OPERATIONS) {
  port[op] = () => {
    const answer = answers[op];
    if (answer === undefined) throw new Error(`no canned answer for ${op}`);
    return answer;
  };
}

/** Sets the answers from their XML (node-soap reads them back once this process listens). */
let applyAnswers: (xmlByOperation: CannedAnswers) => void = () => {
  throw new Error('not listening yet');
};

function serve(): void {
  const app = express();
  app.disable('x-powered-by');
  plainAnswerRoute(app, (operation) => answers[operation]);
  const server = app.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
    const soapServer = soap.listen(app, {
      path: '/soap/mktows/2_9',
      services: { MktMktowsApiService: { MktowsApiSoapPort: port } },
      xml: wsdlXml,
      envelopeKey: 'SOAP-ENV',
      handleNilAsNull: true,
      suppressStack: true,
      customDeserializer: RAW_TYPES,
      // Announce only once the WSDL is read and the route exists.
      callback: (err: unknown) => {
        if (err) throw err;
        const address = server.address();
        announce('soap-echo', typeof address === 'object' && address ? address.port : 0);
      },
    } as unknown as soap.IServerOptions) as unknown as NodeSoapServer;
    // The service declares xsi once on every answer (node-soap writes xsi:nil without it).
    soapServer.wsdl.xmlnsInEnvelope += ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
    applyAnswers = (xmlByOperation: CannedAnswers) => {
      const next: Record<string, unknown> = {};
      for (const [op, xml] of Object.entries(xmlByOperation)) {
        // Not SOAP (one-click): nothing for node-soap to do, served like the bare ceiling.
        if (PLAIN_OPERATIONS.includes(op)) {
          next[op] = xml;
          continue;
        }
        const body = soapServer.wsdl.xmlToObject(xml).Body ?? {};
        const success = body[`success${op[0]!.toUpperCase()}${op.slice(1)}`];
        if (success === undefined) throw new Error(`answer for ${op} has no success element`);
        next[op] = success;
      }
      answers = next;
    };
    cannedControl(app, applyAnswers);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

serveInProcesses('soap-echo', serve, (a) => applyAnswers(a));
