/**
 * The source a suppression list's line is recorded with (suppression-rows.ts, importEntry): a
 * list's own name as written, with who imported it; another path's name said to be the list's;
 * and an export of either imported again by the same actor recorded as it was exported.
 */
import { expect } from 'chai';
import { importEntry, type ImportEntry } from '../../src/domain/suppression-rows.js';
import { masterStatusSource } from '../../src/domain/master-change.js';
import { ChangePaths } from '../../src/domain/change-paths.js';

/** The master status source of a line giving `source`, imported by `actor`. */
function recorded(source: string, actor = 'ops'): string {
  const entry = importEntry({ line: 2, email: 'ann@example.com', source }, () => 0, actor);
  expect(entry, String(entry)).to.be.an('object');
  const path = ChangePaths.suppressionImport(actor);
  return masterStatusSource({ ...path, source: (entry as ImportEntry).source });
}

describe('the source an imported line is recorded with', () => {
  it("keeps a list's own name, and names the importer after it", () => {
    expect(recorded('Newsletter')).to.equal('Newsletter (ops)');
    expect(recorded('Salesforce campaign 2020')).to.equal('Salesforce campaign 2020 (ops)');
  });

  it("says another path's name, as its statuses are written, is the list's (any case)", () => {
    for (const source of [
      'Salesforce',
      'Salesforce (00D5g000004aBcDEAU)',
      'SALESFORCE (x)',
      'Unsubscribe link (link 0123456789abcdef, page)',
      'Web service API (crm)',
      'Address status (alice)',
      'Command line',
      'Person detail (bob)',
      'Smart campaign',
    ])
      expect(recorded(source)).to.equal(`Suppression import: ${source} (ops)`);
  });

  it('records an export imported again by the same actor as it was exported', () => {
    for (const source of ['Salesforce', 'Newsletter', 'Unsubscribe link (link 01, page)']) {
      const once = recorded(source);
      expect(recorded(once), once).to.equal(once);
    }
  });
});
