import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { AdminClient, consolePerTest } from './support.js';

/** The label of every date field of a page, by the field's id. */
function dateLabels(body: string): string[] {
  const ids = [...body.matchAll(/<input\s+type="date"\s+id="([^"]+)"/g)].map((m) => m[1]!);
  return ids.map((id) => {
    const label = new RegExp(`<label for="${id}">([^<]*)</label>`).exec(body);
    return label ? label[1]! : `(no label for ${id})`;
  });
}

/**
 * The date filters take whole days in UTC (as every time on the pages is shown in UTC): their
 * labels say so, so that an operator elsewhere does not read them as days of their own zone.
 */
for (const engine of testEngines()) {
  describe(`operator console over HTTP: date filters state their time zone (${engine.name})`, function () {
    this.timeout(120000);
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ client } = c));

    for (const [path, count] of [
      ['/admin/bulk', 4],
      ['/admin/suppressions', 2],
    ] as const)
      it(`${path}: every date field's label says UTC`, async () => {
        const page = await client.get(path);
        expect(page.status).to.equal(200);
        const labels = dateLabels(page.body);
        expect(labels).to.have.length(count);
        for (const label of labels) expect(label, label).to.match(/\(UTC\)$/);
      });
  });
}
