import { expect } from 'chai';
import { LANGUAGES } from '../../src/one-click/messages.js';
import { renderPage } from '../../src/one-click/page.js';

/**
 * The unsubscribe page as a screen reader meets it: the page's language, one heading saying the
 * result, and the undo button described by the sentence saying how long it may be pressed (it
 * was a separate paragraph, read only when reading the page through).
 */
describe('one-click page: structure for the person who clicks', () => {
  for (const lang of LANGUAGES) {
    it(`the undo button is described by its time limit (${lang})`, () => {
      const page = renderPage({
        state: { kind: 'done', undo: { code: 'c', minutes: 5 } },
        lang,
        branding: { senderName: 'Example News', logoUrl: '' },
        maskedAddress: 'a•••@e•••.com',
      });
      expect(page).to.match(new RegExp(`<html lang="${lang}">`));
      expect(page.match(/<h1>/g) ?? []).to.have.length(1);
      const button = /<button\b[^>]*>/.exec(page)![0];
      const id = /aria-describedby="([^"]+)"/.exec(button)?.[1];
      expect(id, 'the undo button has a description').to.be.a('string');
      const note = new RegExp(`<p\\b[^>]*\\bid="${id}"[^>]*>([\\s\\S]*?)</p>`).exec(page);
      expect(note?.[1], 'its description').to.match(/\b5\b/);
    });
  }
});
