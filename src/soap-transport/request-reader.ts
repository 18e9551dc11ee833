/**
 * What the fast request reader (fast-request-reader.ts) offers the SOAP listeners: the shapes
 * it is asked to read, the reader itself and its counts.
 */
import type { GuardLimits } from './envelope-guard.js';

export interface FastReadOptions {
  /** Namespace of the header and body elements read here. */
  namespace: string;
  /** Body elements (message names) read here. */
  bodyElements: readonly string[];
  /** Header elements read here, with the fields each may hold. */
  headerElements: Readonly<Record<string, readonly string[]>>;
}

export interface RequestReaderStats {
  /** Requests this reader answered. */
  read: number;
  /** Requests handed to node-soap. */
  declined: number;
  /** Of those, declined because the reader failed (a bug: it must never happen). */
  failed: number;
}

export interface RequestReader {
  /** node-soap's object for `xml`, or undefined when node-soap must read it. */
  read(xml: string): unknown;
  /**
   * As read, and also declines whatever the envelope guard would refuse or read otherwise
   * under `limits` (names, attributes, depth, unknown members, a header field it would take
   * differently): what this reads, the guard would pass, so it need not scan it again.
   */
  readGuarded(xml: string, limits: GuardLimits): unknown;
  /**
   * Hands node-soap `value` as its reading of `xml` during `run` (which calls node-soap), so
   * that a request read by readGuarded is not read again.
   */
  handOver<T>(xml: string, value: unknown, run: () => T): T;
  readonly stats: RequestReaderStats;
}
