import { canonicalSalesforceId, id15, id18 } from '../formats/salesforce-id.js';
import { ConfigError, type Setting, integer, networks, quoted } from './parse.js';

/** The Salesforce Outbound Messaging listener. */
export const salesforceSettings = {
  salesforceOrgIds: {
    env: 'SFDC_ORG_IDS',
    default: '',
    meaning:
      'Comma-separated Salesforce organisation ids (15 or 18 characters) whose outbound messages are accepted; empty refuses every message',
    parse: (raw: string): string[] => {
      if (raw.trim() === '') return [];
      return raw.split(',').map((item) => {
        const id = item.trim();
        // Organisation ids always start 00D (in any case here: see below).
        if (!/^00D[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$/i.test(id)) {
          throw new ConfigError(
            `SFDC_ORG_IDS: ${quoted(id)} is not a 15- or 18-character organisation id (00D…)`,
          );
        }
        // The 15-character form is case-sensitive. An 18-character id is checked against its
        // suffix and its case restored from it (a case-insensitive system may have held it).
        const canonical = id.length === 18 ? canonicalSalesforceId(id) : id;
        if (canonical === null || !canonical.startsWith('00D')) {
          throw new ConfigError(
            `SFDC_ORG_IDS: "${id}" does not match its own last 3 characters (the checksum of the case of the first 15): mistyped?` +
              (canonical === null
                ? ''
                : ` (${id18(id15(id))} is the 18-character form of that spelling)`),
          );
        }
        return canonical;
      });
    },
  },
  salesforcePathSecret: {
    env: 'SFDC_PATH_SECRET',
    default: '',
    meaning:
      'Secret path of the Salesforce listener, required with SFDC_ORG_IDS: it answers only at /soap/salesforce/outbound/<secret>, anything else is 404 (16 to 128 of A-Z a-z 0-9 - _ . ~)',
    parse: (raw: string): string => {
      const secret = raw.trim();
      if (secret !== '' && !/^[A-Za-z0-9._~-]{16,128}$/.test(secret)) {
        throw new ConfigError(
          'SFDC_PATH_SECRET must be 16 to 128 characters of A-Z a-z 0-9 - _ . ~',
        );
      }
      return secret;
    },
  },
  salesforceAllowedNetworks: {
    env: 'SFDC_ALLOWED_NETWORKS',
    default: '',
    meaning:
      'Optional comma-separated CIDR blocks (IPv4, IPv6) the Salesforce listener accepts messages from, checked against the client address TRUST_PROXY resolves; empty: any address',
    parse: networks('SFDC_ALLOWED_NETWORKS'),
  },
  salesforceClockMarginSeconds: {
    env: 'SFDC_CLOCK_MARGIN_SECONDS',
    default: '60',
    meaning:
      "How far (0 to 3600 seconds) an instance's clock may be behind Salesforce's without losing an opt-out: an opt-out here (a link, the web service, an operator) stamped up to this long before a Salesforce re-subscribe's modstamp counts as newer, so that re-subscribe, delivered late, does not lift it; one made in Salesforce within it after an opt-out here is not applied (tick and untick again later). 60 covers a clock that lost its NTP sync for a while; 0 takes the stamps as they are. See docs/operations.md, Clocks",
    parse: integer('SFDC_CLOCK_MARGIN_SECONDS', 0, 3600),
  },
} satisfies Record<string, Setting<unknown>>;
