import sax from 'sax';
import { AppError, ErrorCode } from '../errors.js';
import { SOAP11_NS } from './faults.js';

export const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';

export class VersionMismatch extends AppError {
  constructor() {
    super(ErrorCode.REQUEST_NOT_UNDERSTOOD, 'Only SOAP 1.1 envelopes are accepted');
    this.name = 'VersionMismatch';
  }
}

export interface GuardLimits {
  maxDepth: number;
  maxNameLength: number;
  /** Element names the schema declares; any other name inside the Body is refused. */
  knownElements?: ReadonlySet<string>;
}

export interface EnvelopeSummary {
  /** Namespace and local name of the Body's single child. */
  bodyElement: { ns: string; local: string };
  /** The first element inside the Body that the schema does not declare. */
  unknownElement?: string;
}

// Names that would reach object prototypes in node-soap's parsed arguments.
const FORBIDDEN_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype).concat(['prototype']));

const notUnderstood = (why: string) => new AppError(ErrorCode.REQUEST_NOT_UNDERSTOOD, why);

/**
 * Reads the whole envelope once, strictly, before node-soap sees it: no DTD or entities, no
 * processing instructions, bounded depth and names, a SOAP 1.1 Envelope with at most one
 * Header and exactly one Body holding exactly one element. Throws AppError on anything else.
 */
export function inspectEnvelope(xml: string, limits: GuardLimits): EnvelopeSummary {
  const parser = sax.parser(true, { xmlns: true, position: false });
  let depth = 0;
  let seenRoot = false;
  let rootClosed = false;
  let inBody = false;
  let bodyCount = 0;
  let headerCount = 0;
  let bodyChildren = 0;
  let bodyElement: EnvelopeSummary['bodyElement'] | null = null;
  let unknownElement: string | undefined;
  let failure: AppError | null = null;
  const fail = (e: AppError) => {
    if (!failure) failure = e;
    throw e;
  };

  parser.onerror = (err) => fail(notUnderstood(`Malformed XML: ${err.message.split('\n')[0]}`));
  parser.ondoctype = () => fail(notUnderstood('DOCTYPE declarations are not accepted'));
  parser.onprocessinginstruction = (pi) => {
    if (pi.name.toLowerCase() !== 'xml' || seenRoot)
      fail(notUnderstood('Processing instructions are not accepted'));
  };
  parser.ontext = (t) => {
    if (depth === 0 && t.trim() !== '') fail(notUnderstood('Text outside the envelope'));
  };
  parser.onopentag = (tag) => {
    const node = tag as sax.QualifiedTag;
    depth++;
    if (depth > limits.maxDepth)
      fail(notUnderstood(`Nesting deeper than ${limits.maxDepth} levels`));
    if (node.name.length > limits.maxNameLength) fail(notUnderstood('Element name too long'));
    if (FORBIDDEN_NAMES.has(node.local))
      fail(notUnderstood(`Element name ${node.local} is not accepted`));
    if (depth === 1) {
      if (seenRoot) fail(notUnderstood('More than one root element'));
      seenRoot = true;
      if (node.local !== 'Envelope') fail(notUnderstood('The root element is not a SOAP Envelope'));
      if (node.uri === SOAP12_NS) fail(new VersionMismatch());
      if (node.uri !== SOAP11_NS)
        fail(notUnderstood('The Envelope is not in the SOAP 1.1 namespace'));
    } else if (depth === 2) {
      if (node.uri !== SOAP11_NS)
        fail(notUnderstood(`Unexpected element ${node.local} in the Envelope`));
      if (node.local === 'Header') {
        if (++headerCount > 1 || bodyCount > 0)
          fail(notUnderstood('Misplaced or repeated SOAP Header'));
      } else if (node.local === 'Body') {
        if (++bodyCount > 1) fail(notUnderstood('More than one SOAP Body'));
        inBody = true;
      } else {
        fail(notUnderstood(`Unexpected element ${node.local} in the Envelope`));
      }
    } else if (depth === 3 && inBody) {
      if (++bodyChildren > 1) fail(notUnderstood('The SOAP Body holds more than one element'));
      bodyElement = { ns: node.uri, local: node.local };
    } else if (
      depth > 3 &&
      inBody &&
      limits.knownElements &&
      !limits.knownElements.has(node.local)
    ) {
      unknownElement ??= node.local.slice(0, 64);
    }
  };
  parser.onclosetag = () => {
    if (depth === 2) inBody = false;
    depth--;
    if (depth === 0) rootClosed = true;
  };

  try {
    parser.write(xml).close();
  } catch {
    if (failure) throw failure;
    throw notUnderstood('Malformed XML');
  }
  if (!seenRoot || !rootClosed) throw notUnderstood('Empty or truncated SOAP envelope');
  if (bodyCount === 0) throw notUnderstood('The SOAP Envelope has no Body');
  if (!bodyElement) throw notUnderstood('The SOAP Body is empty');
  return unknownElement === undefined ? { bodyElement } : { bodyElement, unknownElement };
}
