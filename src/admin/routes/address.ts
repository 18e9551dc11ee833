import { ChangePaths } from '../../domain/change-paths.js';
import { notLiftedText } from '../../domain/salesforce-beneath.js';
import { AppError, ErrorCode, isAppError } from '../../errors.js';
import { deadlineOf, field, lookupField, position, send, sessionOf } from '../form.js';
import { addressUrl, STATUS_VERSION_FIELD } from '../layout.js';
import { addressPage, type AddressError, type AddressSaved } from '../pages/address.js';
import { redirectSaved, savedOutcome } from '../saved-notice.js';
import type { RouteContext } from './context.js';

/** The address page (paged) and its form that suppresses or lifts the address. */
export function addressRoutes({ router, services, logger, listPageSize }: RouteContext): void {
  router.get('/address', async (req, res) => {
    const query = lookupField(req.query, 'email');
    const historyBefore = position(field(req.query, 'history_before'), 'history_before');
    const peopleAfter = position(field(req.query, 'people_after'), 'people_after') ?? 0;
    const page = query.trim()
      ? await services.durableStatus.addressPage(query, {
          historyBefore,
          peopleAfter,
          limit: listPageSize,
        })
      : null;
    send(
      res,
      200,
      addressPage({
        session: sessionOf(res),
        query,
        page,
        historyBefore,
        peopleAfter,
        saved: savedOutcome<AddressSaved>(req, ['unsubscribed', 'resubscribed', 'unchanged']),
      }),
    );
  });

  router.post('/address/status', async (req, res) => {
    const session = sessionOf(res);
    const email = field(req.body, 'email');
    const wanted = field(req.body, 'unsubscribed');
    if (wanted !== 'true' && wanted !== 'false')
      throw new AppError(ErrorCode.BAD_PARAMETER, 'unsubscribed must be true or false');
    const reason = field(req.body, 'reason');
    // A refused change shows the address page again, with what the operator typed.
    const showAgain = async (status: number, error: AddressError) => {
      const page = await services.durableStatus.addressPage(email, {
        historyBefore: null,
        peopleAfter: 0,
        limit: listPageSize,
      });
      send(res, status, addressPage({ session, query: email, page, error, reason }));
    };
    let result;
    try {
      // Answered within REQUEST_TIMEOUT_MS: past it, a write not yet committing is not made.
      result = await services.durableStatus.setAddressStatus({
        address: email,
        unsubscribed: wanted === 'true',
        path: ChangePaths.addressStatus(session.operator),
        reason,
        confirmProtected: field(req.body, 'liftProtected') === 'yes',
        // The suppression the form showed: a lift posted late or twice lifts that one only.
        ...(field(req.body, STATUS_VERSION_FIELD) !== ''
          ? { seenVersion: field(req.body, STATUS_VERSION_FIELD) }
          : {}),
        now: Date.now(),
        deadline: deadlineOf(res),
      });
    } catch (error) {
      // A reason refused (blank, too long, a control character): said on the form. An address
      // that is not one (LEAD_ATTRIBUTE_BAD) has no page to show again.
      if (!isAppError(error) || error.code !== ErrorCode.BAD_PARAMETER) throw error;
      return showAgain(400, { text: error.message, field: 'reason' });
    }
    if (result.outcome === 'changed_since')
      return showAgain(409, {
        text: 'This address was unsubscribed again since the page was shown (its status is above): nothing was changed. Lift it again if that is still meant.',
        field: 'lift',
      });
    // Lifted again, the status now shown as Salesforce's is lifted (the operator has seen it).
    if (result.outcome === 'salesforce_beneath')
      return showAgain(409, { text: notLiftedText(result.beneath), field: 'lift' });
    if (result.outcome === 'confirm')
      return showAgain(409, {
        text: `This address was suppressed for a ${result.reason}: tick the confirmation to lift it.`,
        field: 'lift',
      });
    logger.info(
      {
        operator: session.operator,
        outcome: result.outcome,
        people: 'people' in result ? result.people : 0,
      },
      'operator set an address status',
    );
    redirectSaved(req, res, `${addressUrl(email)}&saved=${result.outcome}`);
  });
}
