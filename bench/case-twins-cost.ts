/**
 * CPU per request of the check for members spelt two ways (refuseCaseTwins, run on every
 * mktows call's parameters), against the fast request reader's read of the same envelope:
 * the bench's own envelopes, alternating rounds in one process, medians.
 *
 *   node --import tsx bench/case-twins-cost.ts [rounds]
 */
import { refuseCaseTwins } from '../src/soap-transport/case-twins.js';
import { median, microseconds, mktowsReader } from './lib/reader-bench.js';
import { envelope, getLeadByEmail, syncLead, syncMultipleLeads } from './lib/soap.js';

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 9);
  const { wsdl, reader } = await mktowsReader();
  const records = Array.from({ length: 300 }, (_, j) => ({
    email: `p-${j}@bench.example`,
    attrs: { FirstName: 'V1', LastName: 'Bench' },
  }));
  const cases: Array<[string, string, string, number]> = [
    ['getLead', envelope(getLeadByEmail('p-1@bench.example')), 'paramsGetLead', 5000],
    [
      'syncLead',
      envelope(
        syncLead({
          email: 'p-1@bench.example',
          attrs: { FirstName: 'First1', LastName: 'Bench', Company: 'Bench Corp' },
        }),
      ),
      'paramsSyncLead',
      5000,
    ],
    [
      'syncMultipleLeads (300)',
      envelope(syncMultipleLeads(records)),
      'paramsSyncMultipleLeads',
      50,
    ],
  ];
  for (const [name, xml, element, times] of cases) {
    const read = wsdl.xmlToObject(xml) as { Body?: Record<string, unknown> };
    const params = read.Body?.[element];
    if (params === undefined) throw new Error(`no ${element} read from ${name}`);
    const reading: number[] = [];
    const checking: number[] = [];
    for (let r = 0; r < rounds; r++) {
      reading.push(microseconds(() => reader.read(xml), times));
      checking.push(microseconds(() => refuseCaseTwins(params, element), times));
    }
    const a = median(reading);
    const b = median(checking);
    process.stdout.write(
      `${name.padEnd(24)} fast reader ${a.toFixed(1).padStart(8)} µs   check ${b.toFixed(1).padStart(7)} µs   (${((100 * b) / a).toFixed(1)} % of the read)\n`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
