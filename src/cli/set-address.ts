import type { DurableStatusService } from '../domain/durable-status.service.js';
import { ChangePaths } from '../domain/change-paths.js';
import { notLiftedText } from '../domain/salesforce-beneath.js';
import { plural } from './printable.js';

/**
 * `suppressions remove`'s exit code when the lift found a Salesforce opt-out beneath the
 * suppression and the address shows it instead (salesforce-beneath.ts): refused, as the
 * command line's other refusals are (1); running it again lifts that one.
 */
export const NOT_LIFTED = 1;

/**
 * `suppressions add|remove EMAIL --reason TEXT`: one address's master status on an operator's
 * word, through the rules every path follows (everyone holding the address follows).
 */
export async function setOneAddress(
  durable: DurableStatusService,
  email: string,
  unsubscribed: boolean,
  options: {
    reason: string;
    actor: string;
    out: NodeJS.WritableStream;
    err: NodeJS.WritableStream;
  },
): Promise<number> {
  // The command line is an operator's path: it may lift a protected suppression too.
  const r = await durable.setAddressStatus({
    address: email,
    unsubscribed,
    path: ChangePaths.commandLine(options.actor),
    reason: options.reason,
    confirmProtected: true,
  });
  // changed_since needs a seen status: the command line gives none, so it never gets one.
  if (r.outcome === 'unchanged' || r.outcome === 'confirm' || r.outcome === 'changed_since') {
    options.out.write(
      `${r.emailKey} is already ${unsubscribed ? 'suppressed' : 'not suppressed'}: nothing changed.\n`,
    );
    return 0;
  }
  if (r.outcome === 'salesforce_beneath') {
    options.err.write(`${r.emailKey}: ${notLiftedText(r.beneath)}\n`);
    return NOT_LIFTED;
  }
  options.out.write(
    `${r.emailKey} ${unsubscribed ? 'suppressed' : 'no longer suppressed'}` +
      `${r.lifted ? ` (${r.lifted})` : ''}; ` +
      `${plural(r.people, 'person', 'people')} ${unsubscribed ? 'unsubscribed' : 'resubscribed'}.\n`,
  );
  return 0;
}
