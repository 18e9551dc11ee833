/**
 * CPU per request read, node-soap's xmlToObject against the fast request reader, on the bench's
 * own envelopes; then the endpoint's two ways through a hot request: the envelope guard's scan
 * and the reader's (as when the reader declines under the guard's limits), against the reader
 * alone under those limits (one scan). Alternating A/B rounds in one process, medians (a figure
 * that holds on a busy machine, unlike throughput).
 *
 *   node --import tsx bench/request-reader.ts [rounds]
 */
import { inspectEnvelope } from '../src/soap-transport/envelope-guard.js';
import { wsdlGuardLimits } from './lib/guard-limits.js';
import { median, microseconds, mktowsReader } from './lib/reader-bench.js';
import { envelope, getLeadByEmail, syncLead, syncMultipleLeads } from './lib/soap.js';

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 9);
  const { wsdlXml, wsdl, reader } = await mktowsReader();
  const limits = wsdlGuardLimits(wsdlXml);
  const cases: Array<[string, string, number]> = [
    ['getLead', envelope(getLeadByEmail('p-1@bench.example')), 2000],
    [
      'syncLead',
      envelope(
        syncLead({
          email: 'p-1@bench.example',
          attrs: { FirstName: 'First1', LastName: 'Bench', Company: 'Bench Corp' },
        }),
      ),
      2000,
    ],
    [
      'syncMultipleLeads (300)',
      envelope(
        syncMultipleLeads(
          Array.from({ length: 300 }, (_, j) => ({
            email: `p-${j}@bench.example`,
            attrs: { FirstName: 'V1', LastName: 'Bench' },
          })),
        ),
      ),
      20,
    ],
  ];
  for (const [name, xml, times] of cases) {
    const stock: number[] = [];
    const fast: number[] = [];
    for (let r = 0; r < rounds; r++) {
      stock.push(microseconds(() => wsdl.xmlToObject(xml), times));
      fast.push(microseconds(() => reader.read(xml), times));
    }
    const a = median(stock);
    const b = median(fast);
    process.stdout.write(
      `${name.padEnd(24)} node-soap ${a.toFixed(1).padStart(9)} µs   fast reader ${b.toFixed(1).padStart(8)} µs   (${(a / b).toFixed(1)}×)\n`,
    );
  }
  for (const [name, xml, times] of cases) {
    if (reader.readGuarded(xml, limits) === undefined)
      throw new Error(`the reader declined ${name} under the guard's limits`);
    const twice: number[] = [];
    const once: number[] = [];
    for (let r = 0; r < rounds; r++) {
      twice.push(
        microseconds(() => {
          inspectEnvelope(xml, limits);
          return reader.read(xml);
        }, times),
      );
      once.push(microseconds(() => reader.readGuarded(xml, limits), times));
    }
    const a = median(twice);
    const b = median(once);
    process.stdout.write(
      `${name.padEnd(24)} guard + reader ${a.toFixed(1).padStart(9)} µs   reader under the guard's limits ${b.toFixed(1).padStart(8)} µs   (${(a / b).toFixed(1)}×)\n`,
    );
  }
  if (reader.stats.declined > 0) throw new Error('the reader declined a bench envelope');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
