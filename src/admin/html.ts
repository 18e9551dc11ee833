import { shownPieces, writtenRightToLeft } from './shown-text.js';

/** Markup that is already safe: made only by `html` below (or `raw` for trusted constants). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | HtmlValue[];

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/**
 * Where a value lands in a template: in text an operator reads (`text`), in the page's title,
 * or where it is data (`data`: an attribute, a textarea's content, a tag), sent back by a form
 * or followed by a link and so kept exactly.
 */
type Slot = 'text' | 'title' | 'data';

/**
 * A run of characters with no break between them longer than a table column should be: a
 * value holding one may break anywhere (`.long`), where a table's column took the run's width
 * and the page scrolled sideways.
 */
const LONG_RUN = /\S{51,}/u;

/**
 * A value shown in text: each unseen character (shown-text.ts) as its code point in a marked
 * box, a pile of combining marks cut. A value holding such a note or right-to-left letters is
 * shown isolated, as one element (`<bdi>`): it cannot reorder the words around it, and a grid
 * (a table cell on a phone) lays it out as one item.
 */
function shownInText(value: string): string {
  const pieces = shownPieces(value);
  let out = pieces
    .map((p) => ('text' in p ? escapeHtml(p.text) : `<span class="unseen">${p.note}</span>`))
    .join('');
  if (LONG_RUN.test(value)) out = `<span class="long">${out}</span>`;
  return pieces.some((p) => 'note' in p) || writtenRightToLeft(pieces) ? `<bdi>${out}</bdi>` : out;
}

/**
 * A value in the title (a tab, a window list: text only): the same code points in brackets,
 * and a right-to-left value isolated by U+2068 FIRST STRONG ISOLATE and U+2069 POP DIRECTIONAL
 * ISOLATE, which titles honour as text does.
 */
function shownInTitle(value: string): string {
  const pieces = shownPieces(value);
  const out = pieces.map((p) => escapeHtml('text' in p ? p.text : `[${p.note}]`)).join('');
  return writtenRightToLeft(pieces) ? `\u2068${out}\u2069` : out;
}

function render(value: HtmlValue, slot: Slot): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map((v) => render(v, slot)).join('');
  if (value === null || value === undefined) return '';
  const text = String(value);
  return slot === 'text'
    ? shownInText(text)
    : slot === 'title'
      ? shownInTitle(text)
      : escapeHtml(text);
}

/** The tokenizer's state between the template's parts: what surrounds the next value. */
interface Scan {
  state: 'text' | 'tag' | 'dq' | 'sq' | 'title' | 'textarea';
  /** The element whose start tag is being read: its content is title or textarea text. */
  opening: 'title' | 'textarea' | null;
}

const RAW_TEXT_START = /^(title|textarea)[\s/>]/i;

/**
 * The state after one static part of a template (written in this code base: lower-case tags,
 * attributes always quoted). Values never change it: they are escaped. A part that opens with
 * `name="` (an attribute written in a template of its own) reads as an attribute.
 */
function scanned(from: Scan, part: string): Scan {
  let { state, opening } = from;
  for (let i = 0; i < part.length; i++) {
    const c = part[i];
    switch (state) {
      case 'text':
        if (c === '<') {
          state = 'tag';
          const name = RAW_TEXT_START.exec(part.slice(i + 1, i + 10));
          opening = name ? (name[1]!.toLowerCase() as 'title' | 'textarea') : null;
        } else if ((c === '"' || c === "'") && part[i - 1] === '=') {
          state = c === '"' ? 'dq' : 'sq';
          opening = null;
        }
        break;
      case 'tag':
        if (c === '"') state = 'dq';
        else if (c === "'") state = 'sq';
        else if (c === '>') state = opening ?? 'text';
        break;
      case 'dq':
        if (c === '"') state = 'tag';
        break;
      case 'sq':
        if (c === "'") state = 'tag';
        break;
      case 'title':
      case 'textarea':
        if (
          c === '<' &&
          part[i + 1] === '/' &&
          part.slice(i + 2, i + 2 + state.length).toLowerCase() === state
        ) {
          state = 'tag';
          opening = null;
        }
        break;
    }
  }
  return { state, opening };
}

/** The slot of each value of a template, worked out once per template (its strings are one object). */
const slotsOf = new WeakMap<TemplateStringsArray, Slot[]>();

function slots(strings: TemplateStringsArray): Slot[] {
  let known = slotsOf.get(strings);
  if (!known) {
    known = [];
    let scan: Scan = { state: 'text', opening: null };
    for (let i = 0; i < strings.length - 1; i++) {
      scan = scanned(scan, strings[i]!);
      known.push(scan.state === 'text' ? 'text' : scan.state === 'title' ? 'title' : 'data');
    }
    slotsOf.set(strings, known);
  }
  return known;
}

/**
 * Tagged template that escapes every interpolated value unless it is SafeHtml, so a value
 * cannot break out of text or a quoted attribute. Attributes must always be quoted. A value in
 * text or in the title is shown as an operator must see it (shownInText, shownInTitle); one in
 * an attribute or a textarea is data and kept exactly.
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  const where = slots(strings);
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value, where[i]!) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** Trusted markup written in this code base, never anything that came from a request or the database. */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}
