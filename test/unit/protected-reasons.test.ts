/**
 * PROTECTED_REASONS as complaints arrive: named as the sending platforms and feedback loops
 * name them (Mailgun's "complained", SendGrid's "spamreport", Postmark's "SpamComplaint",
 * Amazon SES's "Complaint", SparkPost's "spam_complaint", an ARF report's "abuse"), in capitals
 * run together, in snake or kebab case. The default protects every one of them, and never an
 * ordinary opt-out's or bounce's reason.
 */
import { expect } from 'chai';
import { loadConfig } from '../../src/config.js';
import { protectedReasonMatcher } from '../../src/domain/status-reasons.js';

const COMPLAINTS = [
  'complained',
  'Complained',
  'spamreport',
  'SpamReport',
  'spam_report',
  'spam-reports',
  'SPAM REPORT',
  'SpamComplaint',
  'SPAMCOMPLAINT',
  'spamcomplaint',
  'Complaint',
  'COMPLAINT',
  'spam_complaint',
  'SPAM_COMPLAINT',
  'spam-complaint',
  'abuse',
  'ARF abuse report',
  'Feedback-Type: abuse',
  'FBLCOMPLAINTS',
];

const ORDINARY = [
  'unsubscribed',
  'Unsubscribed via List-Unsubscribe',
  'bounce',
  'hard_bounce',
  'SoftBounce',
  'HARDBOUNCE',
  'Bounced: mailbox full',
  'user request',
  'manual',
  'complainant asked to be removed',
  'spam trap',
  'Blocked as spam',
  'reported',
  null,
];

describe('PROTECTED_REASONS default: complaints as mail providers name them', () => {
  const isProtected = protectedReasonMatcher(loadConfig({}).protectedReasons);

  for (const reason of COMPLAINTS)
    it(`protects "${reason}"`, () => expect(isProtected(reason)).to.equal(true));

  for (const reason of ORDINARY)
    it(`leaves "${reason}" liftable`, () => expect(isProtected(reason)).to.equal(false));

  it('reads a word of the setting at the end of a name written as one word', () => {
    const complaint = protectedReasonMatcher(['complaint']);
    expect(complaint('ISPCOMPLAINT')).to.equal(true);
    expect(complaint('fblcomplaints')).to.equal(true);
    // A word that goes on past it is another word.
    expect(complaint('COMPLAINTLIKE')).to.equal(false);
    expect(complaint('complainant')).to.equal(false);
  });

  it('reads a phrase of the setting with its words apart or run together', () => {
    const legalHold = protectedReasonMatcher(['legal hold']);
    for (const reason of ['Legal hold', 'LegalHold', 'legal_hold', 'LEGAL-HOLD', 'legalhold'])
      expect(legalHold(reason), reason).to.equal(true);
    expect(legalHold('legal')).to.equal(false);
    expect(legalHold('hold')).to.equal(false);
  });
});
