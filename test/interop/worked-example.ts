import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

/**
 * The worked example of the durable rules (docs/how-it-works.md) as every interop client reports
 * it. Each client (node-soap, zeep, PHP SoapClient, JAX-WS) runs the six steps over HTTP, signing
 * each call itself, and prints this object as JSON; `expectWorkedExample` holds the assertions
 * they all share. Flag values are the `Unsubscribed` attrValue text the client read from getLead
 * (null when the attribute was missing); reasons are the `Reason` of the newest
 * `Change Data Value` activity of that lead whose Attribute Name is `Unsubscribed`.
 */
export interface SyncOutcome {
  leadId: number;
  status: string;
}

export interface UnsubscribeChange {
  activityType: string;
  oldValue: string | null;
  newValue: string | null;
  reason: string | null;
}

export interface WorkedExampleRun {
  client: string;
  /** 1. A (ann@example.com, Default) and B ("ANN@Example.com ", partition East) created. */
  step1: { a: SyncOutcome; b: SyncOutcome; unsubscribed: { a: string | null; b: string | null } };
  /** 2. A unsubscribed via syncLead. */
  step2: {
    sync: SyncOutcome;
    unsubscribed: { a: string | null; b: string | null };
    change: { a: UnsubscribeChange | null; b: UnsubscribeChange | null };
  };
  /** 3. A deleted (deleteLead); C created with ann@example.com and Unsubscribed=false. */
  step3: {
    deleted: { count: number; leadIds: number[] };
    c: SyncOutcome;
    unsubscribed: { c: string | null };
    change: { c: UnsubscribeChange | null };
  };
  /** 4. C's address to carl@example.com, then back to ann@example.com. */
  step4: {
    toCarl: { sync: SyncOutcome; c: string | null; b: string | null; cEmail: string | null };
    back: { sync: SyncOutcome; c: string | null; cEmail: string | null };
  };
  /** 5. B re-subscribed via syncLead. */
  step5: {
    sync: SyncOutcome;
    unsubscribed: { b: string | null; c: string | null };
    change: { c: UnsubscribeChange | null };
  };
  /** 6. getLead EMAIL Ann@EXAMPLE.com. */
  step6: {
    count: number;
    leads: { id: number; email: string | null; unsubscribed: string | null }[];
  };
  /** getLead EMAIL of an address nobody has, as the client's own fault object shows it. */
  fault: { faultcode: string; faultstring: string; code: string | null };
}

export const REASON_WEB_SERVICE = 'Web service API';
export const REASON_PROPAGATED =
  'System flow action sysActionChangeDataValue updateLeadEmailStatus';
export const REASON_RESET = 'System flow action sysActionChangeDataValue resetLeadEmailStatus';

export function expectWorkedExample(run: WorkedExampleRun): void {
  const { step1, step2, step3, step4, step5, step6, fault } = run;

  // 1. two separate leads, both subscribed
  expect(step1.a.status, 'step 1: A').to.equal('CREATED');
  expect(step1.b.status, 'step 1: B').to.equal('CREATED');
  expect(step1.b.leadId, 'step 1: B is a lead of its own').to.not.equal(step1.a.leadId);
  expect(step1.unsubscribed, 'step 1: both subscribed').to.deep.equal({ a: '0', b: '0' });
  const a = step1.a.leadId;
  const b = step1.b.leadId;

  // 2. unsubscribe A: B follows through the master status
  expect(step2.sync, 'step 2: syncLead of A').to.deep.equal({ leadId: a, status: 'UPDATED' });
  expect(step2.unsubscribed, 'step 2: A and B unsubscribed').to.deep.equal({ a: '1', b: '1' });
  expect(step2.change.a, "step 2: A's activity").to.deep.equal({
    activityType: 'Change Data Value',
    oldValue: 'false',
    newValue: 'true',
    reason: REASON_WEB_SERVICE,
  });
  expect(step2.change.b, "step 2: B's activity").to.deep.equal({
    activityType: 'Change Data Value',
    oldValue: 'false',
    newValue: 'true',
    reason: REASON_PROPAGATED,
  });

  // 3. delete A, create C with Unsubscribed=false: C is unsubscribed all the same
  expect(step3.deleted, 'step 3: deleteLead of A').to.deep.equal({ count: 1, leadIds: [a] });
  expect(step3.c.status, 'step 3: C').to.equal('CREATED');
  const c = step3.c.leadId;
  expect([a, b], 'step 3: C is a new lead').to.not.include(c);
  expect(step3.unsubscribed.c, 'step 3: C unsubscribed').to.equal('1');
  expect(step3.change.c?.reason, "step 3: C's activity").to.equal(REASON_RESET);
  expect(step3.change.c?.newValue, "step 3: C's activity").to.equal('true');

  // 4. address changes re-derive C's flag; B is untouched
  expect(step4.toCarl.sync, 'step 4: C to carl@').to.deep.equal({ leadId: c, status: 'UPDATED' });
  expect(step4.toCarl.cEmail).to.equal('carl@example.com');
  expect(step4.toCarl.c, 'step 4: C at carl@ subscribed').to.equal('0');
  expect(step4.toCarl.b, 'step 4: B untouched').to.equal('1');
  expect(step4.back.sync, 'step 4: C back to ann@').to.deep.equal({ leadId: c, status: 'UPDATED' });
  expect(step4.back.cEmail).to.equal('ann@example.com');
  expect(step4.back.c, 'step 4: C back at ann@ unsubscribed').to.equal('1');

  // 5. re-subscribe B: C follows
  expect(step5.sync, 'step 5: syncLead of B').to.deep.equal({ leadId: b, status: 'UPDATED' });
  expect(step5.unsubscribed, 'step 5: B and C subscribed').to.deep.equal({ b: '0', c: '0' });
  expect(step5.change.c, "step 5: C's activity").to.deep.equal({
    activityType: 'Change Data Value',
    oldValue: 'true',
    newValue: 'false',
    reason: REASON_PROPAGATED,
  });

  // 6. exactly B and C, both subscribed
  expect(step6.count, 'step 6: count').to.equal(2);
  expect(
    step6.leads.map((l) => l.id).sort((x, y) => x - y),
    'step 6: B and C',
  ).to.deep.equal([b, c].sort((x, y) => x - y));
  for (const l of step6.leads) {
    expect(l.unsubscribed, `step 6: lead ${l.id}`).to.equal('0');
    expect(l.email?.toLowerCase(), `step 6: lead ${l.id}`).to.equal('ann@example.com');
  }

  // a fault is a fault the client can read
  expect(fault.faultstring, 'fault').to.equal('20103 - Lead not found');
  expect(fault.faultcode, 'fault').to.match(/(^|[:}])Client$/);
  expect(fault.code, 'fault detail code').to.equal('20103');
}

export const INTEROP_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(INTEROP_DIR, '../..');

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a program to its end (never through a shell); rejects only when it cannot start. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ProcessResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? REPO_ROOT,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 60000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

/** A client's JSON report (its last stdout line), or an error carrying everything it printed. */
export function parseReport<T>(what: string, r: ProcessResult): T {
  const lines = r.stdout.trim().split('\n');
  if (r.code !== 0) {
    throw new Error(
      `${what} exited with ${r.code}\n--- stderr\n${r.stderr.slice(-4000)}\n--- stdout\n${r.stdout.slice(-4000)}`,
    );
  }
  try {
    return JSON.parse(lines[lines.length - 1] ?? '') as T;
  } catch {
    throw new Error(`${what} printed no JSON report\n--- stdout\n${r.stdout.slice(-4000)}`);
  }
}

/** Parses an external client's worked-example report and checks it; returns the report. */
export function expectWorkedExampleReport(what: string, r: ProcessResult): WorkedExampleRun {
  const report = parseReport<WorkedExampleRun>(what, r);
  expectWorkedExample(report);
  return report;
}

/** What every quickstart example prints for a lead it just created and read back. */
export function expectQuickstartOutput(what: string, r: ProcessResult, email: string): void {
  expect(r.code, `${what} failed:\n${r.stderr}\n${r.stdout}`).to.equal(0);
  const lines = r.stdout.trim().split('\n');
  expect(lines[0]).to.match(/^syncLead: lead \d+ CREATED$/);
  expect(lines[1]).to.equal('getLead: 1 lead(s)');
  expect(lines[2]).to.match(
    new RegExp(`^ {2}lead \\d+ <${email.replace(/\./g, '\\.')}> FirstName=Ann Unsubscribed=0$`),
  );
}

/** A wrong encryption key must reach the client as fault 20014 it reports, not a crash. */
export function expectAuthFailureReported(what: string, r: ProcessResult): void {
  expect(r.code, `${what} should fail`).to.not.equal(0);
  expect(r.stderr).to.include('20014 - Authentication failed');
  expect(r.stderr).to.include('code 20014');
}
