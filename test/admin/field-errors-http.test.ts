import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import { startTestService } from '../support/service.js';
import { AdminClient, ALICE, consolePerTest, csrfOf } from './support.js';

const web = ChangePaths.webService();

/** The opening tag of the form control with this id (attributes may span lines). */
function controlOf(body: string, id: string): string {
  const tag = new RegExp(`<(?:input|select|textarea)\\b[^>]*\\bid="${id}"[^>]*>`).exec(body);
  expect(tag, `a control #${id}`).to.not.equal(null);
  return tag![0];
}

/** The ids a control names as its description, in order. */
function describedBy(control: string): string[] {
  return (/aria-describedby="([^"]*)"/.exec(control)?.[1] ?? '').split(' ').filter(Boolean);
}

/** The element with this id: its role and text. */
function elementOf(body: string, id: string): { role: string | null; text: string } {
  const m = new RegExp(`<p\\b([^>]*)\\bid="${id}"([^>]*)>([\\s\\S]*?)</p>`).exec(body);
  expect(m, `an element #${id}`).to.not.equal(null);
  const attrs = m![1]! + m![2]!;
  return {
    role: /role="([^"]*)"/.exec(attrs)?.[1] ?? null,
    text: m![3]!.replace(/\s+/g, ' ').trim(),
  };
}

const titleOf = (body: string) => /<title>([^<]*)<\/title>/.exec(body)?.[1] ?? '';

/**
 * A form shown again with a refusal ties the refusal to the field it is about: the field names
 * the error first among its descriptions (a screen reader says it with the field), is marked
 * invalid and takes the focus; the error is announced (role=alert) and the page's title says
 * "Error:" first. A refusal of the form as a whole stays above it, tied to no field.
 */
for (const engine of testEngines()) {
  describe(`operator console over HTTP: refusals tied to their fields (${engine.name})`, function () {
    this.timeout(120000);
    let services: Services;
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ services, client } = c));

    /** The error a control names first: its id's role, text; the control is invalid and focused. */
    function expectFieldError(body: string, id: string, words: RegExp): void {
      const control = controlOf(body, id);
      expect(describedBy(control)[0], `#${id} described by its error`).to.equal(`${id}-error`);
      expect(control).to.match(/aria-invalid="true"/);
      expect(control).to.match(/\bautofocus\b/);
      const error = elementOf(body, `${id}-error`);
      expect(error.role).to.equal('alert');
      expect(error.text).to.match(words);
      expect((body.match(/aria-invalid="true"/g) ?? []).length, 'one field invalid').to.equal(1);
      expect(titleOf(body)).to.match(/^Error: /);
    }

    it('CONSOLE_PASTED_MAX: a pasted list longer than set is refused on its field; the default takes it', async () => {
      const list = ['a1@example.com', 'a2@example.com', 'a3@example.com'].join('\n');
      const form = { list, field: 'FirstName', value: 'K' };
      const usual = await client.post('/admin/bulk/preview', { ...form, _csrf: client.csrf });
      expect(usual.status).to.equal(200);
      const tight = await startTestService(engine, { adminUsers: [ALICE], consolePastedMax: 2 });
      try {
        const operator = new AdminClient(tight.base);
        await operator.logIn();
        const page = await operator.post('/admin/bulk/preview', { ...form, _csrf: operator.csrf });
        expect(page.status).to.equal(400);
        expectFieldError(
          page.body,
          'b-list',
          /A pasted list may hold at most 2 entries; select by a search instead/,
        );
      } finally {
        await tight.stop();
      }
    });

    it('Change Data Value: the value, the reason, the field, a date and the list each get their error', async () => {
      const { leadId } = await services.leads.sync({ email: 'kit@example.com' }, { path: web });
      const base = { _csrf: client.csrf, list: String(leadId), field: 'Unsubscribed' };
      const cases: Array<[Record<string, string>, string, RegExp]> = [
        [{ ...base, value: 'maybe' }, 'b-value', /not a boolean/],
        [{ ...base, value: 'true', reason: 'x'.repeat(5000) }, 'b-reason', /UnsubscribedReason/],
        [{ ...base, field: 'NoSuchField', value: '1' }, 'b-field', /No field NoSuchField/],
        [{ ...base, list: 'not-an-id' }, 'b-list', /neither a person id nor an address/],
        [
          { _csrf: client.csrf, createdFrom: '2026-02-30', field: 'FirstName', value: 'K' },
          'b-createdFrom',
          /Created from/,
        ],
      ];
      for (const [form, id, words] of cases) {
        const page = await client.post('/admin/bulk/preview', form);
        expect(page.status, id).to.equal(400);
        expectFieldError(page.body, id, words);
      }
      // The value's own hint stays among its descriptions, after the error.
      const bad = await client.post('/admin/bulk/preview', { ...base, value: 'maybe' });
      expect(describedBy(controlOf(bad.body, 'b-value'))).to.deep.equal([
        'b-value-error',
        'what-hint',
      ]);
      // Nothing selected: the form as a whole is refused, above it, no field marked.
      const none = await client.post('/admin/bulk/preview', {
        _csrf: client.csrf,
        field: 'FirstName',
        value: 'K',
      });
      expect(none.status).to.equal(400);
      expect(none.body).to.match(/<p class="error" role="alert">\s*Narrow the search/);
      expect(none.body).to.not.match(/aria-invalid/);
      expect(titleOf(none.body)).to.equal('Error: Change Data Value · durable-unsubscribe');
      // The form shown afresh: no error, its usual title.
      const fresh = await client.get('/admin/bulk');
      expect(titleOf(fresh.body)).to.equal('Change Data Value · durable-unsubscribe');
      expect(describedBy(controlOf(fresh.body, 'b-value'))).to.deep.equal(['what-hint']);
      expect(fresh.body).to.not.match(/aria-invalid|autofocus/);
    });

    it('address status: a blank reason is said on the reason, a complaint’s lift on its confirmation', async () => {
      const email = 'moe@example.com';
      const setStatus = (unsubscribed: boolean, reason: string) =>
        client.post('/admin/address/status', {
          _csrf: client.csrf,
          email,
          unsubscribed: String(unsubscribed),
          reason,
        });
      const blank = await setStatus(true, '   ');
      expect(blank.status).to.equal(400);
      expectFieldError(blank.body, 'status-reason', /reason/i);
      expect(describedBy(controlOf(blank.body, 'status-reason'))).to.deep.equal([
        'status-reason-error',
        'status-hint',
      ]);

      const suppressed = await setStatus(true, 'complaint');
      expect(suppressed.status).to.equal(303);
      const page = await client.get(`/admin/address?email=${encodeURIComponent(email)}`);
      // Asked for before any refusal: the box is described by the warning it confirms.
      expect(describedBy(controlOf(page.body, 'lift'))).to.deep.equal(['lift-warning']);
      expect(titleOf(page.body)).to.equal(`Address ${email} · durable-unsubscribe`);
      const lift = await setStatus(false, 'asked again');
      expect(lift.status).to.equal(409);
      expectFieldError(lift.body, 'lift', /tick the confirmation/);
      expect(describedBy(controlOf(lift.body, 'lift'))).to.deep.equal([
        'lift-error',
        'lift-warning',
      ]);
      expect(controlOf(lift.body, 'status-reason')).to.not.match(/aria-invalid/);
      expect((await services.durableStatus.explain(email)).status?.unsubscribed).to.equal(true);
    });

    it('login: a refused login is described to the operator name, where the focus is', async () => {
      const other = new AdminClient(client.base);
      const form = await other.get('/admin/login');
      expect(controlOf(form.body, 'name')).to.not.match(/aria-describedby/);
      const refused = await other.post('/admin/login', {
        _csrf: csrfOf(form.body),
        name: ALICE.name,
        password: 'not the password at all',
        next: '/admin/',
      });
      expect(refused.status).to.equal(401);
      const name = controlOf(refused.body, 'name');
      expect(describedBy(name)).to.deep.equal(['login-error']);
      expect(name).to.match(/\bautofocus\b/);
      expect(elementOf(refused.body, 'login-error')).to.deep.equal({
        role: 'alert',
        text: 'Wrong operator name or password.',
      });
      expect(titleOf(refused.body)).to.equal('Error: Log in · durable-unsubscribe');
    });
  });
}
