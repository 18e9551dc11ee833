import type { IncomingHttpHeaders } from 'node:http';
import * as soap from 'soap';
import {
  FAST_ANSWER_ELEMENTS,
  installAnswerWriter,
  type DocumentWriterWsdl,
} from './answer-writer.js';
import { answerInPrefix, type PrefixedWsdl } from './answer-prefix.js';
import { createRequestReader } from './fast-request-reader.js';
import type { FastReadOptions, RequestReader } from './request-reader.js';
import type { WsdlInternals } from './request-shapes.js';
import {
  createDirectDispatch,
  type DirectDispatch,
  type ServerInternals,
} from './direct-dispatch.js';

/**
 * node-soap as an XML ⇄ object engine with no HTTP of its own: our endpoints read and check
 * the request, then hand the XML to processRequest.
 */
export interface SoapEngine {
  processRequest(
    xml: string,
    req: { headers: IncomingHttpHeaders; url: string; method: string },
  ): Promise<{ statusCode: number; body: string }>;
  /** Parts of node-soap's parsed WSDL (its typings keep `wsdl` private). */
  wsdl: {
    xmlnsInEnvelope: string;
    definitions: {
      services: Record<string, { ports: Record<string, { binding: SoapBinding }> }>;
    };
  };
  /** The fast reader in front of node-soap's xmlToObject, when one was asked for. */
  requestReader?: RequestReader | null;
  /** The operation called directly for a request the reader read, when the server allows. */
  direct?: DirectDispatch | null;
}

export interface SoapBinding {
  topElements: Record<string, { methodName: string }>;
  methods: Record<string, { soapAction?: string }>;
}

const raw = (t: string) => t;

/**
 * Typed leaves node-soap would otherwise convert loosely ("12abc" → 12, "yes" → false, a
 * date-time losing its offset): they stay text, and the handlers validate them.
 */
export const RAW_TEXT_TYPES = [
  'int',
  'long',
  'short',
  'integer',
  'boolean',
  'dateTime',
  'date',
  'double',
  'float',
  'decimal',
];

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

export interface AnswerPrefix {
  namespace: string;
  prefix: string;
}

export function createSoapEngine(options: {
  path: string;
  wsdlXml: string;
  services: Record<string, unknown>;
  rawTextTypes?: readonly string[];
  /** Request shapes read without node-soap's object model (identical result, or declined). */
  fastRead?: FastReadOptions;
  /** The prefix answers' Body elements of `namespace` are written in (else the WSDL's alias). */
  answerPrefix?: AnswerPrefix;
}): Promise<SoapEngine> {
  return new Promise((resolve, reject) => {
    let engine: SoapEngine | undefined = undefined;
    const rawTextTypes = options.rawTextTypes ?? RAW_TEXT_TYPES;
    const listenOptions = {
      path: options.path,
      services: options.services,
      xml: options.wsdlXml,
      envelopeKey: 'SOAP-ENV',
      handleNilAsNull: true,
      suppressStack: true,
      customDeserializer: Object.fromEntries(rawTextTypes.map((t) => [t, raw])),
      callback: (err: unknown) => {
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        setImmediate(() => {
          if (!engine) return reject(new Error('SOAP server not created'));
          // node-soap writes xsi:nil without declaring the prefix: it is declared once on the
          // Envelope of every answer (answerInPrefix declares it too).
          if (options.answerPrefix) {
            const { namespace, prefix } = options.answerPrefix;
            answerInPrefix(engine.wsdl as unknown as PrefixedWsdl, namespace, prefix, XSI);
          } else if (!engine.wsdl.xmlnsInEnvelope.includes('xmlns:xsi='))
            engine.wsdl.xmlnsInEnvelope += ` xmlns:xsi="${XSI}"`;
          installAnswerWriter(engine.wsdl as unknown as DocumentWriterWsdl, FAST_ANSWER_ELEMENTS);
          if (options.fastRead)
            engine.requestReader = installRequestReader(
              engine.wsdl as unknown as WsdlInternals,
              rawTextTypes,
              options.fastRead,
            );
          if (engine.requestReader)
            engine.direct = createDirectDispatch(engine as unknown as ServerInternals);
          resolve(engine);
        });
      },
    };
    engine = soap.listen(
      null as unknown as Parameters<typeof soap.listen>[0],
      listenOptions as unknown as soap.IServerOptions,
    ) as unknown as SoapEngine;
  });
}

/**
 * Puts the reader in front of node-soap's xmlToObject: what it reads is returned as is, the
 * rest (and every streamed or non-string call) goes to node-soap as before.
 */
function installRequestReader(
  wsdl: WsdlInternals,
  rawTextTypes: readonly string[],
  options: FastReadOptions,
): RequestReader | null {
  const reader = createRequestReader(wsdl, rawTextTypes, options);
  if (!reader) return null;
  const original = wsdl.xmlToObject;
  wsdl.xmlToObject = function (xml: unknown, callback?: unknown) {
    if (callback === undefined && typeof xml === 'string') {
      const read = reader.read(xml);
      if (read !== undefined) return read;
    }
    return original.call(this, xml, callback);
  };
  return reader;
}
