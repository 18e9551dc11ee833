import { expect } from 'chai';
import { HEALTH_METHODS, otherMethodAnswer } from '../../src/http/other-methods.js';

/** What otherMethodAnswer hands its writer. */
function answerTo(method: string | undefined, allow: string, subject?: string) {
  let answer: { status: number; headers: Record<string, string>; text: string } | undefined;
  const send = (status: number, headers: Record<string, string>, text: string) => {
    answer = { status, headers, text };
  };
  if (subject === undefined) otherMethodAnswer(method, allow, send);
  else otherMethodAnswer(method, allow, send, subject);
  return answer!;
}

describe('the answer to a method a path does not serve', () => {
  it('tells OPTIONS the list, in Allow and in plain text', () => {
    for (const subject of [undefined, 'a link']) {
      const a = answerTo('OPTIONS', HEALTH_METHODS, subject);
      expect(a.status).to.equal(200);
      expect(a.headers).to.deep.equal({
        Allow: HEALTH_METHODS,
        'Content-Type': 'text/plain; charset=utf-8',
      });
      expect(a.text).to.equal(`${HEALTH_METHODS}\n`);
    }
  });

  it('refuses another method 405 with the same Allow, naming what answers in its own words', () => {
    const path = answerTo('PUT', HEALTH_METHODS);
    expect(path.status).to.equal(405);
    expect(path.headers.Allow).to.equal(HEALTH_METHODS);
    expect(path.text).to.equal(`PUT is not served here: this path answers ${HEALTH_METHODS}.\n`);
    const link = answerTo('DELETE', 'GET, HEAD, POST, OPTIONS', 'a link');
    expect(link.status).to.equal(405);
    expect(link.headers.Allow).to.equal('GET, HEAD, POST, OPTIONS');
    expect(link.text).to.equal(
      'DELETE is not served here: a link answers GET, HEAD, POST, OPTIONS.\n',
    );
    expect(answerTo(undefined, HEALTH_METHODS).text).to.match(/^This method is not served here/);
  });
});
