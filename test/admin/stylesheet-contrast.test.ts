import { expect } from 'chai';
import { STYLESHEET } from '../../src/admin/stylesheet.js';
import { contrast } from '../support/contrast.js';

/** A colour the stylesheet names: a custom property (`--ink`) or a literal (`#fff`). */
function colour(name: string): string {
  if (name.startsWith('#')) return name;
  const m = new RegExp(`${name}:\\s*(#[0-9a-f]{3,6})`, 'i').exec(STYLESHEET);
  expect(m, `the stylesheet sets ${name}`).to.not.equal(null);
  return m![1]!;
}

/** The background a rule of the stylesheet gives (`.notice`, `.error`). */
function backgroundOf(selector: string): string {
  const rule = new RegExp(
    `(?:^|\\n)${selector.replace('.', '\\.')} \\{[^}]*background: (#[0-9a-f]{3,6})`,
  );
  const m = rule.exec(STYLESHEET);
  expect(m, `${selector} has a background`).to.not.equal(null);
  return m![1]!;
}

/**
 * Every pairing of text and background the console's stylesheet makes reaches WCAG AA's 4.5:1
 * (its small text included: hints, captions, the labels of stacked rows), and the focus ring and
 * field borders 3:1: a colour changed in one place is checked where it is used.
 */
describe('console stylesheet: contrast of what it pairs', () => {
  const page = '#fff';
  const grey = colour('--bg');
  const notice = backgroundOf('.notice');
  const error = backgroundOf('.error');
  const text: Array<[string, string, string]> = [
    ['body text', '--ink', page],
    ['table headers and the header bar', '--ink', grey],
    ['a notice', '--ink', notice],
    ['an error', '--ink', error],
    ['hints, captions, row labels', '--muted', page],
    ['"Signed in as"', '--muted', grey],
    ['links', '--accent', page],
    ['the navigation', '--accent', grey],
    ['a link in a notice', '--accent', notice],
    ['a link in an error', '--accent', error],
    ['the Unsubscribed badge', '--warn', page],
    ['the Subscribed badge', '--ok', page],
    ['button text', '#fff', colour('--accent')],
  ];
  for (const [what, fg, bg] of text)
    it(`${what}: 4.5:1 or more`, () => {
      expect(contrast(colour(fg), colour(bg))).to.be.at.least(4.5);
    });
  for (const [what, fg] of [
    ['the focus ring', '--focus'],
    ['field borders', '--field'],
    ['an invalid field’s border', '--warn'],
  ])
    it(`${what}: 3:1 or more on white`, () => {
      expect(contrast(colour(fg!), page)).to.be.at.least(3);
    });
});
