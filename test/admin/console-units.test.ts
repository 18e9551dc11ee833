import { expect } from 'chai';
import { activityLabel } from '../../src/admin/activity-labels.js';
import { formPageOf } from '../../src/admin/form.js';
import { formatTime, withQuery } from '../../src/admin/layout.js';
import { bulkJobPage } from '../../src/admin/pages/bulk.js';
import { importPage } from '../../src/admin/pages/suppressions.js';
import type { JobRecord } from '../../src/domain/records.js';
import { table } from '../../src/admin/table.js';
import type { ActivityView } from '../../src/domain/activity.service.js';
import { DEFAULT_MAX_PASTED, parsePastedList } from '../../src/domain/pasted-list.js';
import { PROPAGATED_REASON, RESET_REASON } from '../../src/domain/change-paths.js';
import { protectedReasonMatcher } from '../../src/domain/status-reasons.js';
import { AppError } from '../../src/errors.js';

const at = new Date(Date.UTC(2026, 2, 1, 9, 30, 15, 42));

function change(
  field: string,
  from: string,
  to: string,
  reason: string,
  extra: Partial<ActivityView> = {},
): ActivityView {
  return {
    id: 1,
    leadId: 7,
    createdAt: at,
    activityType: 'Change Data Value',
    assetName: null,
    attributes: [
      ['Attribute Name', field],
      ['Old Value', from],
      ['New Value', to],
      ['Reason', reason],
      ['Source', 'Person detail'],
      ['Lead ID', '7'],
    ],
    actor: null,
    causeLeadId: null,
    ...extra,
  };
}

describe('console building blocks', () => {
  it('labels activities in words, keeping the raw reason out of the label only', () => {
    expect(
      activityLabel(change('Unsubscribed', 'false', 'true', PROPAGATED_REASON, { causeLeadId: 9 })),
    ).to.equal('Unsubscribed because person 9 unsubscribed (same address)');
    expect(activityLabel(change('Unsubscribed', 'true', 'false', PROPAGATED_REASON))).to.equal(
      'Re-subscribed because its address was lifted (Person detail)',
    );
    expect(activityLabel(change('Unsubscribed', 'false', 'true', RESET_REASON))).to.equal(
      'Re-derived from the address on creation',
    );
    const moved = change('Email Address', 'a@x.com', 'b@x.com', 'Web service API');
    expect(activityLabel(change('Unsubscribed', 'false', 'true', RESET_REASON), [moved])).to.equal(
      'Re-derived from the new address after an address change',
    );
    expect(activityLabel(change('Unsubscribed', 'false', 'true', 'Person detail'))).to.equal(
      'Unsubscribed (Person detail)',
    );
    expect(activityLabel(change('City', '', 'Oslo', 'Web service API'))).to.equal(
      'City changed from empty to “Oslo” (Web service API)',
    );
    expect(
      activityLabel({ ...change('x', '', '', ''), activityType: 'Send Email', attributes: [] }),
    ).to.equal('Send Email');
  });

  it('treats complaint as the protected reason, as a whole word in any case', () => {
    const isProtectedReason = protectedReasonMatcher(['complaint']);
    expect(isProtectedReason(' Complaint ')).to.equal(true);
    expect(isProtectedReason('Spam complaints')).to.equal(true);
    expect(isProtectedReason('complainant')).to.equal(false);
    // A word of a CamelCase name is a word.
    expect(isProtectedReason('SpamComplaint')).to.equal(true);
    expect(isProtectedReason('ComplaintFeedbackLoop')).to.equal(true);
    // An abbreviation that starts one ends before the capital of the next word.
    expect(isProtectedReason('ISPComplaint')).to.equal(true);
    expect(isProtectedReason('FBLComplaints')).to.equal(true);
    expect(isProtectedReason('ISPComplaintlike')).to.equal(false);
    expect(isProtectedReason('Uncomplaintlike')).to.equal(false);
    expect(isProtectedReason(null)).to.equal(false);
    // Compatibility forms are read as the letters they stand for (NFKC): full-width letters.
    expect(isProtectedReason('ＣＯＭＰＬＡＩＮＴ')).to.equal(true);
    expect(isProtectedReason('ＳｐａｍＣｏｍｐｌａｉｎｔｓ')).to.equal(true);
    expect(isProtectedReason('ｃｏｍｐｌａｉｎａｎｔ')).to.equal(false);
  });

  it('reads a word of PROTECTED_REASONS written in the plural as its singular too', () => {
    // PROTECTED_REASONS=complaints must not leave "Complaint" unprotected.
    const isProtectedReason = protectedReasonMatcher(['complaints', 'abuse']);
    expect(isProtectedReason('Complaint')).to.equal(true);
    expect(isProtectedReason('SpamComplaints')).to.equal(true);
    expect(isProtectedReason('Abuse')).to.equal(true);
    expect(isProtectedReason('complainant')).to.equal(false);
    // A short word keeps its s: "s" or "bs" would otherwise match next to nothing.
    expect(protectedReasonMatcher(['bs'])('b')).to.equal(false);
  });

  it('reads a pasted list of ids and addresses, refusing anything else', () => {
    expect(parsePastedList('12\n Ann@Example.com, 12; 13\n\n')).to.deep.equal({
      ids: [12, 13],
      emailKeys: ['ann@example.com'],
    });
    expect(() => parsePastedList('12 hello')).to.throw(AppError, /neither a person id/);
    expect(() => parsePastedList('0')).to.throw(AppError);
    expect(() =>
      parsePastedList(
        Array(DEFAULT_MAX_PASTED + 1)
          .fill('1')
          .join('\n'),
      ),
    ).to.throw(AppError, /at most/);
  });

  it('prints times to the millisecond, and builds links without empty parameters', () => {
    expect(formatTime(at)).to.equal('2026-03-01 09:30:15.042 UTC');
    expect(withQuery('/admin/x', { a: 'b c', e: '', n: null, z: 0 })).to.equal(
      '/admin/x?a=b+c&z=0',
    );
  });

  it('labels every cell for the stacked phone layout, and escapes every value', () => {
    const out = table({
      caption: 'c',
      empty: 'none',
      rows: ['<b>'],
      columns: [{ label: 'Name "x"', cell: (r) => r }],
    }).value;
    expect(out).to.include('data-label="Name &quot;x&quot;"');
    expect(out).to.include('&lt;b&gt;');
    expect(table({ caption: 'c', empty: 'none', rows: [], columns: [] }).value).to.equal(
      '<p>none</p>',
    );
  });
});

describe('the page a refused form came from (formPageOf)', () => {
  const host = 'console.example:8080';
  const from = (path: string) => formPageOf(`http://${host}${path}`, host);

  it('is the page itself, or the page of the form a confirmation or preview was posted from', () => {
    expect(from('/admin/people/12')).to.equal('/admin/people/12');
    expect(from('/admin/address?email=ann%40example.com')).to.equal(
      '/admin/address?email=ann%40example.com',
    );
    expect(from('/admin/people/12/unsubscribed')).to.equal('/admin/people/12');
    expect(from('/admin/bulk/preview')).to.equal('/admin/bulk');
    expect(from('/admin/address/status')).to.equal('/admin/address');
    expect(from('/admin/suppressions/import')).to.equal('/admin/suppressions');
  });

  it('is nothing for another host, a page outside the console, the login, or no Referer', () => {
    expect(formPageOf('http://elsewhere.example/admin/people/12', host)).to.equal(null);
    expect(from('/u/abc')).to.equal(null);
    expect(from('/admin/..//evil.example/')).to.equal(null);
    expect(from('/admin/login?next=%2Fadmin%2F')).to.equal(null);
    expect(formPageOf(undefined, host)).to.equal(null);
    expect(formPageOf('not a url', host)).to.equal(null);
  });

  it('is never a page of another site, however the Referer is spelled', () => {
    const hostile = [
      `http://${host}@evil.example/admin/people/1`,
      `http://evil.example#@${host}/admin/`,
      `http://${host}/admin//evil.example/x`,
      `http://${host}/admin\\\\evil.example`,
      `http://${host}/admin/%5c%5cevil.example`,
      `http://${host}/admin/..%2f..%2f/evil.example`,
      `http://${host}/admin/%2e%2e/%2e%2e//evil.example`,
      `http://${host}/admin/%09/evil.example`,
      `http://${host}/admin?x=%0a//evil.example`,
      `javascript://${host}/admin/%0aalert(1)`,
      `data://${host}/admin/`,
    ];
    for (const referer of hostile) {
      const page = formPageOf(referer, host);
      if (page === null) continue;
      // As a browser resolves the link on the console's page.
      const target = new URL(page, `https://${host}/admin/people/1`);
      expect(target.origin, referer).to.equal(`https://${host}`);
      expect(target.pathname, referer).to.match(/^\/admin(?:\/|$)/);
      expect(page, referer).to.match(/^\/admin/);
    }
  });
});

describe('a running job page refreshes itself, and the operator can turn that off', () => {
  const session = { operator: 'alice', csrfToken: 't' };
  const job: JobRecord = {
    id: 7,
    kind: 'x',
    operator: 'alice',
    state: 'running',
    spec: '{}',
    totalItems: 10,
    totalBatches: 1,
    progress: null,
    message: null,
    fileName: null,
    createdAt: 0,
    updatedAt: 0,
    finishedAt: null,
    leaseUntil: 0,
  };
  const totals = { applied: 0, changed: 3, unchanged: 0, failed: 0 };
  const pages: Array<[string, string, (refresh: boolean) => string]> = [
    [
      'Change Data Value',
      '/admin/bulk/jobs/7',
      (refresh) =>
        bulkJobPage({
          session,
          status: { job, totals, failures: [], change: { field: 'Unsubscribed', value: 'true' } },
          fieldLabel: 'Unsubscribed',
          refresh,
        }),
    ],
    [
      'import',
      '/admin/suppressions/imports/7',
      (refresh) => importPage({ session, status: { job, progress: null }, refresh }),
    ],
  ];

  for (const [what, url, render] of pages) {
    it(`${what}: a refreshing page offers to stop; a stopped one refreshes only when asked`, () => {
      const refreshing = render(true);
      expect(refreshing).to.match(/<meta http-equiv="refresh"/);
      expect(refreshing).to.include(`<a href="${url}?refresh=off">Stop refreshing</a>`);
      const still = render(false);
      expect(still).not.to.match(/http-equiv="refresh"/);
      expect(still).to.include(`<a href="${url}?refresh=off">Refresh now</a>`);
      expect(still).to.include(`<a href="${url}">Refresh automatically</a>`);
    });
  }
});
