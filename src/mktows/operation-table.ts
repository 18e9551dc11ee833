import { AppError, causeLine, ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CallDeadline } from '../domain/ports.js';
import type { Authenticated } from './auth.js';
import { toNodeSoapFault, toWireFault, MKTOWS_NS } from './faults.js';
import { FAST_READ } from './fast-read.js';
import type { CallContext, OperationHandler } from './operation-handler.js';
import type { NamedAction } from './call-identity.js';
import type { SoapOperation } from '../soap-transport/listener.js';
import type { SoapBinding } from '../soap-transport/soap-engine.js';
import type { ElementTree } from '../soap-transport/schema-elements.js';
import { MustUnderstand } from '../soap-transport/envelope-faults.js';
import { refuseCaseTwins } from '../soap-transport/case-twins.js';
import type { EnvelopeSummary } from '../soap-transport/envelope-guard.js';
import {
  declaredNames,
  isObject,
  member,
  object,
  text,
  withDeclaredNames,
  type DeclaredNames,
  type Raw,
} from '../soap-transport/values.js';

/** What one call's log line and metrics need from inside node-soap's handler. */
export interface CallRecord {
  operation: string;
  userId?: string;
  caller?: Authenticated;
  fault?: number;
  /** REQUEST_TIMEOUT_MS as the call's units of work see it (set once the call is admitted). */
  deadline?: CallDeadline;
}

/** One operation of the WSDL's port. */
export interface Operation {
  name: string;
  soapAction: string;
  /** Declared in the WSDL (so stubs match the vendor's) but without a handler: fault 20019. */
  served: boolean;
}

const notServed = (name: string) =>
  new AppError(ErrorCode.UNSUPPORTED_OPERATION, `${name} is not served by this service`);

/**
 * The targetWorkspace of the call's MktowsContextHeader, if it names one. Two headers, or one
 * holding text, are refused: read as none, the call's new leads went to DEFAULT_PARTITION, a
 * partition the request never named. So is one holding other members only, or its member
 * spelt two ways; the entry and its member are read in any case, as the Body's members are (a
 * TargetWorkspace was taken for none).
 */
function targetWorkspace(headers: Raw): string | undefined {
  // The entry by its name in any case too: Savon spells a header hash's symbol key
  // `mktowsContextHeader`, and an entry passed over made the call's leads in DEFAULT_PARTITION.
  const entries = Object.entries(object(headers) ?? {}).filter(
    ([name]) => name.toLowerCase() === 'mktowscontextheader',
  );
  if (entries.length > 1 || Array.isArray(entries[0]?.[1]))
    throw new AppError(ErrorCode.REQUEST_NOT_UNDERSTOOD, 'More than one MktowsContextHeader');
  const context = entries[0]?.[1];
  if (context === undefined || context === null) return undefined;
  const noWorkspace = () =>
    new AppError(
      ErrorCode.BAD_PARAMETER,
      'MktowsContextHeader must hold a targetWorkspace element',
    );
  if (!isObject(context)) {
    if (typeof context === 'string' && context.trim() === '') return undefined;
    throw noWorkspace();
  }
  refuseCaseTwins(context, 'MktowsContextHeader');
  const workspace = member(context, 'targetWorkspace');
  if (workspace === undefined && Object.keys(context).some((k) => k !== 'attributes'))
    throw noWorkspace();
  return text(workspace, 'targetWorkspace')?.trim();
}

/**
 * The handlers as node-soap's port calls them: the caller (authenticated, and admitted, before
 * node-soap saw the request) and its target workspace become the CallContext, the arguments are
 * named as the schema spells them, and an error is counted in the call's record and goes out as
 * a contract fault. `paramsNames` (each operation's parameters as the schema spells them) is
 * filled in by `operationTable` once the WSDL is read.
 */
export function soapPort(
  handlers: Record<string, OperationHandler>,
  partitionOf: (workspace: string) => string,
  logger: Logger,
): {
  port: Record<string, SoapOperation<CallRecord>>;
  paramsNames: Map<string, DeclaredNames>;
} {
  // The listener carries this call's record to the operation.
  const port: Record<string, SoapOperation<CallRecord>> = {};
  // The guard takes member names in any case, so the handlers see them as declared.
  const paramsNames = new Map<string, DeclaredNames>();
  for (const [name, handler] of Object.entries(handlers)) {
    port[name] = async (args, headers, record) => {
      try {
        // Authenticated (and admitted) before node-soap saw the request.
        const caller = record?.caller;
        if (!caller) throw new AppError(ErrorCode.AUTHENTICATION_FAILED, 'Not authenticated');
        const ctx: CallContext = { userId: caller.userId, permissions: caller.permissions };
        if (record.deadline) ctx.deadline = record.deadline;
        const workspace = targetWorkspace(headers);
        if (workspace) ctx.partition = partitionOf(workspace);
        const paramsName = `params${name.charAt(0).toUpperCase()}${name.slice(1)}`;
        // Text alone in the request element (its type holds elements only) reaches here as a
        // string: read as no members, paramsListMObjects holding text was answered as empty.
        const given: unknown = args;
        if (typeof given === 'string' && given.trim() !== '')
          throw new AppError(ErrorCode.BAD_PARAMETER, `${paramsName} must hold elements, not text`);
        // Before the names are made the schema's: two spellings of one member would lose one.
        refuseCaseTwins(args, paramsName);
        const declared = paramsNames.get(name);
        return await handler(
          declared ? withDeclaredNames(args ?? {}, declared) : (args ?? {}),
          ctx,
        );
      } catch (error) {
        const fault = toWireFault(error);
        if (record) record.fault = fault.vendorCode;
        if (fault.vendorCode === 10001)
          logger.error({ err: error, operation: name }, 'SOAP call failed');
        // The database away (or a commit's outcome unknown): its cause in one line; a stack
        // per call says nothing more, and an outage fails every call.
        else if (fault.vendorCode === 20011)
          logger.error({ operation: name, cause: causeLine(error) }, 'SOAP call failed');
        throw toNodeSoapFault(error);
      }
    };
  }
  return { port, paramsNames };
}

export interface OperationTable {
  /** By the local name of its Body element (paramsX). */
  byElement: ReadonlyMap<string, Operation>;
  /** By what a SOAPAction header may name it. */
  byAction: ReadonlyMap<string, Operation>;
  /** Operations the request reader reads: another one named by SOAPAction is not tried with it. */
  fastOperations: ReadonlySet<string | undefined>;
}

/**
 * The operations of the WSDL's binding, which of them are served (have a handler), and how a
 * request names them; fills in `paramsNames` (see soapPort) from the schema.
 */
export function operationTable(
  binding: SoapBinding,
  handlers: Record<string, OperationHandler>,
  elementTree: ElementTree,
  paramsNames: Map<string, DeclaredNames>,
): OperationTable {
  const byElement = new Map<string, Operation>();
  for (const [element, { methodName }] of Object.entries(binding.topElements)) {
    byElement.set(element, {
      name: methodName,
      soapAction: binding.methods[methodName]?.soapAction ?? '',
      served: handlers[methodName] !== undefined,
    });
  }
  // SOAPAction names an operation by its URI or (some toolkits) its bare name; SOAP::Lite
  // writes "namespace#method", the method being the body element (or the operation's name),
  // and integrations written for .NET services told it to join the two instead
  // (`on_action(sub { join '', @_ })`, or with '/': the namespace ends in one already).
  const byAction = new Map(
    [...byElement.entries()].flatMap(([element, op]) => [
      [op.soapAction, op],
      [op.name, op],
      [`${MKTOWS_NS}#${element}`, op],
      [`${MKTOWS_NS}#${op.name}`, op],
      [`${MKTOWS_NS}${element}`, op],
      [`${MKTOWS_NS}/${element}`, op],
      [`${MKTOWS_NS}/${op.name}`, op],
      [element, op],
    ]),
  );
  const fastOperations = new Set(
    FAST_READ.bodyElements.map((element) => byElement.get(element)?.name),
  );
  // Each member where its parent's type declares it, its name in any case, as the vendor's
  // parser read it (foreignSysPersonId).
  for (const [element, { methodName }] of Object.entries(binding.topElements))
    paramsNames.set(methodName, declaredNames(elementTree.members(element)));
  return { byElement, byAction, fastOperations };
}

/** A name the request gave its operation outside the Body, and the operation it names, if any. */
export interface ActionNamed extends NamedAction {
  op: Operation | undefined;
}

/**
 * The operation a checked envelope of an authenticated caller calls, or the fault that answers
 * it instead, checked in this order: a header entry not understood, an operation named by
 * SOAPAction (or the Content-Type's action) that is not served, the Body's element (known,
 * served, in the service's namespace, holding only declared elements), then a SOAPAction or
 * Content-Type action naming another operation.
 * `record.operation` is set as soon as the operation is known, so that a fault is counted
 * and logged under it.
 */
export function calledOperation(
  byElement: ReadonlyMap<string, Operation>,
  summary: EnvelopeSummary,
  named: readonly ActionNamed[],
  record: CallRecord,
): Operation {
  const { bodyElement, unknownElement, unknownElementParent } = summary;
  if (summary.headerNotUnderstood !== undefined)
    throw new MustUnderstand(summary.headerNotUnderstood);
  const unserved = named.find((n) => n.op !== undefined && !n.op.served)?.op;
  if (unserved) {
    record.operation = unserved.name;
    throw notServed(unserved.name);
  }
  const op = byElement.get(bodyElement.local);
  if (!op) throw unknownBodyElement(byElement, bodyElement.local);
  record.operation = op.name;
  if (!op.served) throw notServed(op.name);
  if (bodyElement.ns !== MKTOWS_NS) {
    throw new AppError(
      ErrorCode.REQUEST_NOT_UNDERSTOOD,
      `${bodyElement.local} must be in namespace ${MKTOWS_NS}`,
    );
  }
  if (unknownElement !== undefined) {
    throw new AppError(
      ErrorCode.REQUEST_NOT_UNDERSTOOD,
      `Unknown element ${unknownElement}: ${bodyElement.local} takes only the elements of the WSDL's schema, each where its type declares it (names in any case)` +
        (unknownElementParent === undefined
          ? ''
          : `; ${unknownElementParent} holds no ${unknownElement}`),
    );
  }
  const other = named.find((n) => n.op !== op);
  if (other !== undefined) {
    throw new AppError(
      ErrorCode.UNSUPPORTED_OPERATION,
      `${other.source === 'SOAPAction' ? 'SOAPAction' : 'The action of the Content-Type'} does not match the operation in the Body`,
    );
  }
  return op;
}

/**
 * The fault of a Body element that is no request element. An operation's own name (what
 * pysimplesoap writes for an operation called with no argument: `<listMObjects>`) is a request
 * not understood, naming the element the operation takes; any other name is an operation not
 * supported.
 */
function unknownBodyElement(byElement: ReadonlyMap<string, Operation>, local: string): AppError {
  for (const [element, op] of byElement) {
    if (op.name === local)
      return new AppError(
        ErrorCode.REQUEST_NOT_UNDERSTOOD,
        `${local} is no request element: the operation ${local} takes the element ${element}, as the WSDL declares`,
      );
  }
  return new AppError(
    ErrorCode.UNSUPPORTED_OPERATION,
    `Operation ${local.slice(0, 64)} is not supported`,
  );
}
