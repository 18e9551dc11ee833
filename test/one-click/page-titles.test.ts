import { expect } from 'chai';
import { LANGUAGES } from '../../src/one-click/messages.js';
import { renderPage, type PageState } from '../../src/one-click/page.js';
import { testEngines } from '../support/database.js';
import { addressPeople, get, linkServicePerSuite, postForm, type LinkService } from './support.js';

const titleOf = (page: string): string => /<title>([^<]*)<\/title>/.exec(page)?.[1] ?? '';

const STATES: PageState[] = [
  { kind: 'confirm' },
  { kind: 'done', undo: { code: 'c', minutes: 5 } },
  { kind: 'already' },
  { kind: 'resubscribed' },
  { kind: 'undoRefused' },
  { kind: 'invalid' },
  { kind: 'expired' },
  { kind: 'busy' },
  { kind: 'error' },
  { kind: 'unconfirmed' },
  { kind: 'undoUnconfirmed', code: 'c' },
];

const render = (state: PageState, lang: (typeof LANGUAGES)[number], senderName = '') =>
  renderPage({
    state,
    lang,
    branding: { senderName, logoUrl: '' },
    maskedAddress: 'a•••@e•••.com',
  });

/**
 * The page was titled "Unsubscribe" whatever it said: a tab, the history and a screen reader's
 * first words could not tell a done unsubscribe from a refused link. Each state has its title,
 * in each language the page speaks.
 */
describe('one-click page: a title per state', () => {
  for (const lang of LANGUAGES) {
    it(`titles each state differently (${lang})`, () => {
      const titles = STATES.map((s) => titleOf(render(s, lang)));
      expect(titles.every((t) => t.length > 0)).to.equal(true);
      expect(new Set(titles).size, titles.join(' | ')).to.equal(STATES.length);
    });
  }

  it('speaks the page’s language in its title, and names the sender', () => {
    for (const state of STATES)
      expect(titleOf(render(state, 'fr')), state.kind).to.not.equal(titleOf(render(state, 'en')));
    const branded = titleOf(render({ kind: 'done', undo: null }, 'en', 'Example News'));
    expect(branded).to.match(/ — Example News$/);
  });
});

for (const engine of testEngines()) {
  describe(`one-click page over HTTP: titles (${engine.name})`, function () {
    this.timeout(60000);
    let svc: LinkService;

    linkServicePerSuite(engine, (made) => (svc = made));

    it('titles the confirmation, the done, the undone and a broken link each its own way', async () => {
      await addressPeople(svc, 'tia@example.com');
      const url = svc.linkUrl('tia@example.com');
      const confirm = titleOf((await get(`${url}?lang=en`)).body);
      const done = await postForm(url, {
        'List-Unsubscribe': 'One-Click',
        via: 'page',
        lang: 'en',
      });
      const code = /name="resubscribe" value="([^"]+)"/.exec(done.body)![1]!;
      const undone = titleOf((await postForm(url, { resubscribe: code, lang: 'en' })).body);
      const invalid = titleOf((await get(`${svc.base}/u/not-a-token?lang=en`)).body);
      const titles = [confirm, titleOf(done.body), undone, invalid];
      expect(new Set(titles).size, titles.join(' | ')).to.equal(4);
    });
  });
}
