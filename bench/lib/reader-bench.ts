import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FAST_READ } from '../../src/mktows/fast-read.js';
import { createRequestReader } from '../../src/soap-transport/fast-request-reader.js';
import type { WsdlInternals } from '../../src/soap-transport/request-shapes.js';
import { createSoapEngine, RAW_TEXT_TYPES } from '../../src/soap-transport/soap-engine.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** CPU (user + system) per call, in microseconds: a figure that holds on a busy machine. */
export function microseconds(run: () => unknown, times: number): number {
  const start = process.cpuUsage();
  for (let i = 0; i < times; i++) run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / times;
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

/** The mktows WSDL as the endpoint loads it: its text, node-soap's reading of it, the fast reader. */
export async function mktowsReader() {
  const wsdlXml = fs.readFileSync(path.join(ROOT, 'wsdl/mktows.wsdl'), 'utf8');
  const engine = await createSoapEngine({ path: '/soap/mktows', wsdlXml, services: {} });
  const wsdl = engine.wsdl as unknown as WsdlInternals;
  const reader = createRequestReader(wsdl, RAW_TEXT_TYPES, FAST_READ);
  if (!reader) throw new Error('no reader for the mktows WSDL');
  return { wsdlXml, wsdl, reader };
}
