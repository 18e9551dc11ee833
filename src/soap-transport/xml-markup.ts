import { checkCdata } from './node-soap-inputs.js';
import { malformed, notUnderstood, XML_DECLARATION } from './xml-lexis.js';

/**
 * The markup of an envelope that is not an element, for the envelope guard: comments, CDATA
 * sections and the XML declaration are checked and passed over; a DTD, any other markup
 * declaration and processing instructions are refused.
 */

/**
 * `<!` at `lt` that is not a comment: a CDATA section, checked, whose content's end is returned
 * (the content is xml[lt + 9, end)); anything else is refused. `inElement`: within the root
 * element (a CDATA section outside it is text outside the envelope).
 */
export function cdataEnd(xml: string, lt: number, inElement: boolean): number {
  if (xml.startsWith('<![CDATA[', lt)) {
    if (!inElement) throw notUnderstood('Text outside the envelope');
    const close = xml.indexOf(']]>', lt + 9);
    if (close === -1) throw malformed('Unterminated CDATA section');
    checkCdata(xml, lt + 9, close);
    return close;
  }
  if (xml.slice(lt + 2, lt + 9).toUpperCase() === 'DOCTYPE')
    throw notUnderstood('DOCTYPE declarations are not accepted');
  throw malformed('Unexpected markup declaration');
}

/** The comment starting at `lt` (`<!--`), checked: returns the position just after it. */
export function commentEnd(xml: string, lt: number): number {
  const close = xml.indexOf('-->', lt + 4);
  if (close === -1) throw malformed('Unterminated comment');
  const dashes = xml.indexOf('--', lt + 4);
  if (dashes !== close || (close > lt + 4 && xml.charCodeAt(close - 1) === 0x2d))
    throw malformed('Malformed comment');
  return close + 3;
}

/**
 * `<?` at `lt`: accepted only as the XML declaration at `declarationAt`, the very start of the
 * document (XML 1.0, production 22: after a space or a comment it is a processing instruction
 * of a reserved target, and the encoding it names would not be the one the body was read in;
 * xml-decoding.ts looks for it at the very start only). Returns the position just after it.
 */
export function declarationEnd(xml: string, lt: number, declarationAt: number): number {
  const close = xml.indexOf('?>', lt + 2);
  const target = /^[^\s?]*/.exec(xml.slice(lt + 2, lt + 66))![0];
  if (target !== 'xml' || close === -1 || xml.lastIndexOf('<', close) !== lt)
    throw notUnderstood('Processing instructions are not accepted');
  if (lt !== declarationAt)
    throw notUnderstood('An XML declaration is accepted at the very start of the envelope only');
  if (!XML_DECLARATION.test(xml.slice(lt, close + 2))) throw malformed('XML declaration');
  return close + 2;
}
