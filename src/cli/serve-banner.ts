import type { Running } from '../main.js';
import { VERSION } from '../package-info.js';
import { plural } from './printable.js';

/** What the banner tells: a single process's Running, or an instance of `workers` processes. */
export type BannerFacts = Pick<Running, 'port' | 'metricsPort' | 'linksOn' | 'developmentUser'> & {
  database: Pick<Running['database'], 'engine' | 'location'>;
  workers?: number;
};

/**
 * What `serve` prints once listening. The development user's key goes to its 0600 file, not
 * to standard output (the log stream under systemd and containers); a person at a terminal
 * sees it as well.
 */
export function serveBanner(running: BannerFacts, terminal: boolean, metricsHost: string): string {
  const base = `http://localhost:${running.port}`;
  const processes = running.workers
    ? `, ${plural(running.workers, 'worker process', 'worker processes')}`
    : '';
  const lines = [
    `durable-unsubscribe ${VERSION} listening on port ${running.port} (${running.database.engine}: ${running.database.location}${processes})`,
    `  SOAP endpoint: ${base}/soap/mktows/2_9`,
    `  WSDL:          ${base}/soap/mktows/2_9?WSDL`,
    `  Operator pages: ${base}/admin/ (operators: "durable-unsubscribe operators add NAME")`,
    running.linksOn
      ? `  Unsubscribe links: ${base}/u/<token> ("durable-unsubscribe headers EMAIL")`
      : '  Unsubscribe links: off (set UNSUBSCRIBE_LINK_SECRET to turn them on)',
  ];
  if (running.metricsPort !== null) {
    const host = metricsHost.includes(':') ? `[${metricsHost}]` : metricsHost;
    lines.push(`  Metrics:       http://${host}:${running.metricsPort}/metrics`);
  }
  const dev = running.developmentUser;
  if (dev) {
    lines.push(
      '  No SOAP user was configured, so a development user was created.',
      `  Its user id and key are in ${dev.keyFile} (readable by this user only).`,
    );
    if (terminal) {
      lines.push(`    mktowsUserId:  ${dev.userId}`, `    encryptionKey: ${dev.encryptionKey}`);
    }
  }
  return lines.join('\n') + '\n';
}
