/**
 * The hosted unsubscribe page: plain HTML forms, no script, one inline stylesheet allowed by
 * its hash. Every value from a token or a request goes through the escaping `html` template.
 */
import crypto from 'node:crypto';
import { html, raw, type SafeHtml } from '../admin/html.js';
import { fill, MESSAGES, type Language, type Messages } from './messages.js';

export type PageState =
  | { kind: 'confirm' }
  | { kind: 'done'; undo: { code: string; minutes: number } | null }
  | { kind: 'already' }
  | { kind: 'resubscribed' }
  | { kind: 'undoRefused' }
  | { kind: 'invalid' }
  | { kind: 'expired' }
  | { kind: 'busy' }
  /** `undoCode`: a resubscribe that was not made, to send again with the proof it carried. */
  | { kind: 'error'; undoCode?: string }
  | { kind: 'unconfirmed' }
  /** The page's resubscribe, still being committed at its deadline: `code` to send it again. */
  | { kind: 'undoUnconfirmed'; code: string };

export interface Branding {
  senderName: string;
  logoUrl: string;
}

const STYLE = `
body{margin:0;font:1.0625rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;background:#f4f5f7}
main{box-sizing:border-box;max-width:34rem;margin:2.5rem auto;padding:2rem 1.5rem;background:#fff;border:1px solid #d5d8dc;border-radius:.5rem}
@media (max-width:36rem){main{margin:0;border:0;border-radius:0;min-height:100vh}}
.brand{display:flex;align-items:center;gap:.75rem;margin-bottom:1.5rem;font-weight:600}
.brand img{max-height:3rem;max-width:12rem}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 1rem}
p{margin:0 0 1rem}
.address{font-weight:600;overflow-wrap:anywhere}
form{margin:1.5rem 0 0}
button{font:inherit;font-weight:600;padding:.75rem 1.25rem;min-height:2.75rem;border-radius:.375rem;border:2px solid #0b4f9c;background:#0b4f9c;color:#fff;cursor:pointer;max-width:100%}
button.secondary{background:#fff;color:#0b4f9c}
button:hover{background:#083b75;border-color:#083b75;color:#fff}
button:focus-visible{outline:3px solid #1b1b1b;outline-offset:2px;box-shadow:0 0 0 2px #f2a900}
.note{color:#4a4f55;font-size:.9375rem}
`;

/**
 * The page's <style> element, its text exactly STYLE: a browser hashes every character the
 * element holds (line ends, indentation) and applies the sheet only if that hash is the
 * policy's. Written into the page's markup with spaces around it, it was refused everywhere.
 */
const STYLE_ELEMENT = raw(`<style>${STYLE}</style>`);

/** The Content-Security-Policy of every page: nothing runs, only this stylesheet and the logo. */
export function pagePolicy(logoUrl: string): string {
  const hash = crypto.createHash('sha256').update(STYLE).digest('base64');
  const img = logoUrl ? new URL(logoUrl).origin : "'none'";
  return `default-src 'none'; style-src 'sha256-${hash}'; img-src ${img}; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;
}

/**
 * Enough of the address for its owner to recognise it, not enough to read it off a leaked
 * link: "an•••@e•••.com".
 */
export function maskAddress(email: string): string {
  const at = email.lastIndexOf('@');
  const local = [...email.slice(0, at)];
  const domain = email.slice(at + 1);
  const shown = local.length > 4 ? 2 : 1;
  const dot = domain.lastIndexOf('.');
  const name = dot > 0 ? domain.slice(0, dot) : domain;
  const tld = dot > 0 ? domain.slice(dot) : '';
  return `${local.slice(0, shown).join('')}•••@${[...name][0] ?? ''}•••${tld}`;
}

/** The resubscribe button with `code`, the proof the request carried, to send it once more. */
function undoForm(m: Messages, code: string, lang: Language): SafeHtml {
  return html`<form method="post" action="">
    <input type="hidden" name="resubscribe" value="${code}" />
    <input type="hidden" name="lang" value="${lang}" />
    <button type="submit" class="secondary">${m.undoButton}</button>
  </form>`;
}

function body(m: Messages, state: PageState, values: Record<string, string>, lang: Language) {
  const text = (template: string) => fill(template, values);
  const address = html`<span class="address">${values.address}</span>`;
  // The address is set apart in bold: split the sentence around it.
  const withAddress = (template: string): SafeHtml => {
    const [before = '', after = ''] = text(template.replace('{address}', '\u0000')).split('\u0000');
    return html`${before}${address}${after}`;
  };
  switch (state.kind) {
    case 'confirm':
      return html`<h1>${m.confirmHeading}</h1>
        <p>${withAddress(values.sender ? m.confirmTextFrom : m.confirmText)}</p>
        <form method="post" action="">
          <input type="hidden" name="List-Unsubscribe" value="One-Click" />
          <input type="hidden" name="via" value="page" />
          <input type="hidden" name="lang" value="${lang}" />
          <button type="submit">${m.unsubscribeButton}</button>
        </form>`;
    case 'done':
      return html`<h1>${m.doneHeading}</h1>
        <p>${withAddress(m.doneText)}</p>
        ${
          state.undo
            ? html`<form method="post" action="">
                <input type="hidden" name="resubscribe" value="${state.undo.code}" />
                <input type="hidden" name="lang" value="${lang}" />
                <p class="note" id="undo-note">
                  ${text(
                    state.undo.minutes === 1
                      ? m.undoTextOneMinute
                      : fill(m.undoText, { minutes: String(state.undo.minutes) }),
                  )}
                </p>
                <button type="submit" class="secondary" aria-describedby="undo-note">
                  ${m.undoButton}
                </button>
              </form>`
            : ''
        }`;
    case 'already':
      return html`<h1>${m.alreadyHeading}</h1>
        <p>${withAddress(m.alreadyText)}</p>`;
    case 'resubscribed':
      return html`<h1>${m.resubscribedHeading}</h1>
        <p>${withAddress(m.resubscribedText)}</p>`;
    case 'undoRefused':
      return html`<h1>${m.undoRefusedHeading}</h1>
        <p>${m.undoRefusedText}</p>`;
    case 'invalid':
      return html`<h1>${m.invalidHeading}</h1>
        <p>${m.invalidText}</p>`;
    case 'expired':
      return html`<h1>${m.expiredHeading}</h1>
        <p>${m.expiredText}</p>`;
    case 'busy':
      return html`<h1>${m.busyHeading}</h1>
        <p>${m.busyText}</p>`;
    case 'error':
      return html`<h1>${m.errorHeading}</h1>
        <p>${m.errorText}</p>
        ${state.undoCode ? undoForm(m, state.undoCode, lang) : ''}`;
    case 'unconfirmed':
      return html`<h1>${m.unconfirmedHeading}</h1>
        <p>${m.unconfirmedText}</p>`;
    case 'undoUnconfirmed':
      return html`<h1>${m.undoUnconfirmedHeading}</h1>
        <p>${m.undoUnconfirmedText}</p>
        ${undoForm(m, state.code, lang)}`;
  }
}

export function renderPage(options: {
  state: PageState;
  lang: Language;
  branding: Branding;
  /** The address, already masked; empty when the link could not be read. */
  maskedAddress: string;
}): string {
  const m = MESSAGES[options.lang];
  const { senderName, logoUrl } = options.branding;
  const values = { address: options.maskedAddress, sender: senderName };
  const own = m.titles[options.state.kind];
  const title = senderName ? `${own} — ${senderName}` : own;
  const brand =
    senderName || logoUrl
      ? html`<div class="brand">
          ${logoUrl ? html`<img src="${logoUrl}" alt="${senderName}" />` : ''}
          ${senderName && !logoUrl ? html`<span>${senderName}</span>` : ''}
        </div>`
      : '';
  return html`<!doctype html>
    <html lang="${options.lang}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex, nofollow" />
        <meta name="referrer" content="no-referrer" />
        <title>${title}</title>
        ${STYLE_ELEMENT}
      </head>
      <body>
        <main>${brand} ${body(m, options.state, values, options.lang)}</main>
      </body>
    </html> `.value;
}
