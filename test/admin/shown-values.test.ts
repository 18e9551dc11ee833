/** How the operator pages show a value: unseen characters as code points, data kept exactly. */
import { expect } from 'chai';
import { html, raw } from '../../src/admin/html.js';
import { shownPieces } from '../../src/admin/shown-text.js';

const box = (label: string) => `<span class="unseen">${label}</span>`;

describe('values shown to an operator', () => {
  it('shows each bidi control, zero-width, control and separator character as its code point', () => {
    const unseen = [
      '\u202a',
      '\u202b',
      '\u202c',
      '\u202d',
      '\u202e',
      '\u2066',
      '\u2067',
      '\u2068',
      '\u2069',
      '\u200e',
      '\u200f',
      '\u061c',
      '\u200b',
      '\u200c',
      '\u200d',
      '\u2060',
      '\ufeff',
      '\u00ad',
      '\u0001',
      '\u001b',
      '\u007f',
      '\u0085',
      '\u009b',
      '\u2028',
      '\u2029',
      '\u3164',
      '\u{e0041}',
    ];
    for (const c of unseen) {
      const label = `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
      expect(html`<p>a${c}b</p>`.value, label).to.equal(`<p>a<bdi>${box(label)}</bdi>b</p>`);
      expect(html`<p>${`a${c}b`}</p>`.value, label).to.equal(`<p><bdi>a${box(label)}b</bdi></p>`);
    }
  });

  it('keeps tabs, line breaks, letters, marks and emoji of every script as they are', () => {
    for (const text of ['tab\tand\r\nbreak', 'Zoë Ćwik', 'Nguyễn', 'Σοφία', '東京', '❤️ 👍🏽']) {
      expect(html`<p>${text}</p>`.value, text).to.equal(`<p>${text}</p>`);
    }
  });

  it('keeps a joiner inside an emoji sequence; notes one anywhere else', () => {
    const sequences = [
      '\u{1f469}\u200d\u{1f4bb}',
      '\u{1f3f3}\ufe0f\u200d\u{1f308}',
      '\u{1f469}\u{1f3fd}\u200d\u{1f4bb}',
      '\u{1f468}\u200d\u{1f469}\u200d\u{1f467}',
    ];
    for (const text of sequences)
      expect(html`<p>${`Ann ${text}`}</p>`.value, text).to.equal(`<p>Ann ${text}</p>`);
    const label = box('U+200D');
    expect(html`<p>${'a\u200db'}</p>`.value).to.equal(`<p><bdi>a${label}b</bdi></p>`);
    expect(html`<p>${'\u{1f469}\u200d'}</p>`.value).to.equal(`<p><bdi>\u{1f469}${label}</bdi></p>`);
    expect(html`<p>${'\u{1f469}\u200d\u200d\u{1f4bb}'}</p>`.value).to.equal(
      `<p><bdi>\u{1f469}${label}${label}\u{1f4bb}</bdi></p>`,
    );
    expect(html`<p>${'a\u200d\u{1f4bb}'}</p>`.value).to.equal(
      `<p><bdi>a${label}\u{1f4bb}</bdi></p>`,
    );
    // One trailer joins; a pile of them is marks as anywhere else.
    const piled = `\u{1f469}${'\ufe0f'.repeat(6)}\u200d\u{1f4bb}`;
    expect(html`<p>${piled}</p>`.value).to.equal(
      `<p><bdi>\u{1f469}${'\ufe0f'.repeat(5)}${box('+1 marks')}${label}\u{1f4bb}</bdi></p>`,
    );
  });

  it('cuts a pile of combining marks to four, counting the rest', () => {
    const pile = `Z${'\u0301'.repeat(40)}alg${'\u0300'.repeat(5)}o`;
    expect(html`<p>${pile}</p>`.value).to.equal(
      `<p><bdi>Z${'\u0301'.repeat(4)}${box('+36 marks')}alg${'\u0300'.repeat(4)}${box('+1 marks')}o</bdi></p>`,
    );
    expect(shownPieces(`${'x\u0301'.repeat(1000)}`)).to.have.length(1);
  });

  it('isolates a value holding right-to-left letters from the text around it', () => {
    expect(html`<p>Person ${'כהן 12'} of 3</p>`.value).to.equal(
      '<p>Person <bdi>כהן 12</bdi> of 3</p>',
    );
    expect(html`<p>${'مرحبا'}</p>`.value).to.equal('<p><bdi>مرحبا</bdi></p>');
  });

  it('keeps data exactly: attributes, a textarea, and escapes them still', () => {
    const value = 'a\u202eb\u200b<c>';
    // prettier-ignore
    expect(html`<input value="${value}" title='${value}' /><textarea id="t" ${raw('rows="2"')}>${value}</textarea><p>${value}</p>`.value).to.equal(
      '<input value="a\u202eb\u200b&lt;c&gt;" title=\'a\u202eb\u200b&lt;c&gt;\' />' +
        '<textarea id="t" rows="2">a\u202eb\u200b&lt;c&gt;</textarea>' +
        `<p><bdi>a${box('U+202E')}b${box('U+200B')}&lt;c&gt;</bdi></p>`,
    );
    // An attribute written in a template of its own, and one carrying several values.
    expect(html` aria-describedby="${value}"`.value).to.equal(
      ' aria-describedby="a\u202eb\u200b&lt;c&gt;"',
    );
    expect(html`<a href="/x?${'\u202e'}&amp;${'\u200b'}">${'\u200b'}</a>`.value).to.equal(
      `<a href="/x?\u202e&amp;\u200b"><bdi>${box('U+200B')}</bdi></a>`,
    );
  });

  it('shows the same code points in a title as bracketed text, isolating right-to-left ones', () => {
    expect(html`<title>${'Find: \u202eann'} · x</title>`.value).to.equal(
      '<title>Find: [U+202E]ann · x</title>',
    );
    const after = html`<title>x</title>
      <p>${'\u202e'}</p>`;
    expect(after.value.replace(/>\s+</g, '><')).to.equal(
      `<title>x</title><p><bdi>${box('U+202E')}</bdi></p>`,
    );
    expect(html`<title>${'כהן'}</title>`.value).to.equal('<title>\u2068כהן\u2069</title>');
  });

  it('lets a run of more than 50 characters without a break wrap anywhere; shorter ones as they are', () => {
    const run = 'y'.repeat(51);
    expect(html`<td>${run}</td>`.value).to.equal(`<td><span class="long">${run}</span></td>`);
    const words = `${'y'.repeat(50)} ${'z'.repeat(50)}`;
    expect(html`<td>${words}</td>`.value).to.equal(`<td>${words}</td>`);
  });
});
