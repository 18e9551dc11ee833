/**
 * The two envelope-level refusals SOAP 1.1 names by their own fault codes (VersionMismatch,
 * MustUnderstand): raised by the envelope guard, told apart by the listeners' fault mapping.
 */
import { AppError, ErrorCode } from '../errors.js';

/** The SOAP 1.2 envelope namespace: a request in it gets VersionMismatch. */
export const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';

/** A request in another SOAP version than 1.1. */
export class VersionMismatch extends AppError {
  constructor() {
    super(ErrorCode.REQUEST_NOT_UNDERSTOOD, 'Only SOAP 1.1 envelopes are accepted');
    this.name = 'VersionMismatch';
  }
}

/** A header entry the caller marked mustUnderstand="1" that this service does not process. */
export class MustUnderstand extends AppError {
  constructor(entry: string) {
    super(
      ErrorCode.REQUEST_NOT_UNDERSTOOD,
      `Header ${entry} is marked mustUnderstand but is not processed here`,
    );
    this.name = 'MustUnderstand';
  }
}

/** The SOAP 1.1 faultcode of an envelope-level refusal, or undefined for any other error. */
export function envelopeFaultcode(error: unknown): string | undefined {
  if (error instanceof VersionMismatch) return 'SOAP-ENV:VersionMismatch';
  if (error instanceof MustUnderstand) return 'SOAP-ENV:MustUnderstand';
  return undefined;
}
