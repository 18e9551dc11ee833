/**
 * Envelopes as the toolkits of mktows integrations write them, byte for byte in their habits:
 * .NET (WCF's XmlSerializer, ASMX), Axis 1, SoapUI's templates (comments, indentation), a
 * default-namespace envelope, CDATA, empty optional members, SOAPAction spellings and
 * `Expect: 100-continue`. Each must read as the plain request does.
 */
import net from 'node:net';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  authHeaderXml,
  envelope,
  faultCode,
  getLeadByEmailXml,
  postXml,
  rawCall,
  startTestService,
  syncEmailXml,
  type TestService,
} from '../support/service.js';
import { MKTOWS, signedNow, SOAP11, wcfEnvelope, XSD, XSI } from '../support/toolkit-envelopes.js';

const EMAIL = 'toolkit@example.com';

/** What a client should read back: the lead by EMAIL, count 1. */
const expectFound = (r: { status: number; body: string }, what: string) => {
  expect(r.status, `${what}: ${r.body}`).to.equal(200);
  expect(r.body, what).to.include('<count>1</count>');
};

for (const engine of testEngines()) {
  describe(`envelopes as the toolkits write them (${engine.name})`, function () {
    this.timeout(30000);
    let service: TestService;

    before(async () => {
      service = await startTestService(engine);
      const r = await rawCall(service.url, syncEmailXml(EMAIL));
      expect(r.status, r.body).to.equal(200);
    });
    after(() => service?.stop());

    it('.NET WCF (XmlSerializer, unqualified members): default namespaces and xmlns=""', async () => {
      const xml = wcfEnvelope(
        `<paramsGetLead xmlns="${MKTOWS}">` +
          `<leadKey xmlns=""><keyType>EMAIL</keyType><keyValue>${EMAIL}</keyValue></leadKey>` +
          '</paramsGetLead>',
      );
      expectFound(await postXml(service.url, xml, { soapAction: `"${MKTOWS}getLead"` }), 'WCF');
    });

    it('.NET ASMX (wsdl.exe): soap: prefix, xsd/xsi on the Envelope, a UTF-8 byte order mark', async () => {
      const { user, ts, sig } = signedNow();
      const xml =
        `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP11}" xmlns:xsi="${XSI}" xmlns:xsd="${XSD}">` +
        `<soap:Header><AuthenticationHeader xmlns="${MKTOWS}"><mktowsUserId xmlns="">${user}</mktowsUserId>` +
        `<requestSignature xmlns="">${sig}</requestSignature><requestTimestamp xmlns="">${ts}</requestTimestamp>` +
        `</AuthenticationHeader></soap:Header><soap:Body><paramsGetLead xmlns="${MKTOWS}">` +
        `<leadKey xmlns=""><keyType>EMAIL</keyType><keyValue>${EMAIL}</keyValue></leadKey></paramsGetLead>` +
        '</soap:Body></soap:Envelope>';
      const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(xml)]);
      expectFound(await postXml(service.url, body, { soapAction: `"${MKTOWS}getLead"` }), 'ASMX');
    });

    it('Axis 1 (doc/literal): xsi:type on every value, encodingStyle, SOAPAction ""', async () => {
      const xml = envelope(
        `<ns1:paramsGetLead xmlns:xsd="${XSD}"><leadKey xmlns="">` +
          `<keyType xsi:type="xsd:string">EMAIL</keyType><keyValue xsi:type="xsd:string">${EMAIL}</keyValue>` +
          '</leadKey></ns1:paramsGetLead>',
      ).replace(
        '<SOAP-ENV:Envelope ',
        '<SOAP-ENV:Envelope SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/" ',
      );
      expectFound(await postXml(service.url, xml, { soapAction: '""' }), 'Axis 1');
    });

    it('SoapUI’s template: soapenv/mkt prefixes, indentation, <!--Optional:--> comments', async () => {
      const { user, ts, sig } = signedNow();
      const xml = `<soapenv:Envelope xmlns:soapenv="${SOAP11}" xmlns:mkt="${MKTOWS}">
   <soapenv:Header>
      <mkt:AuthenticationHeader>
         <mktowsUserId>${user}</mktowsUserId>
         <requestSignature>${sig}</requestSignature>
         <requestTimestamp>${ts}</requestTimestamp>
         <!--Optional:-->
      </mkt:AuthenticationHeader>
   </soapenv:Header>
   <soapenv:Body>
      <mkt:paramsGetLeadActivity>
         <leadKey>
            <keyType>EMAIL</keyType>
            <keyValue>
               ${EMAIL}
            </keyValue>
         </leadKey>
         <!--Optional:-->
         <activityFilter>
            <!--You have a CHOICE of the next 2 items at this level-->
            <includeTypes>
               <!--Zero or more repetitions:-->
               <activityType>NewLead</activityType>
            </includeTypes>
         </activityFilter>
         <!--Optional:-->
         <batchSize>10</batchSize>
      </mkt:paramsGetLeadActivity>
   </soapenv:Body>
</soapenv:Envelope>`;
      const r = await postXml(service.url, xml, { soapAction: `${MKTOWS}getLeadActivity` });
      expect(r.status, r.body).to.equal(200);
      expect(r.body).to.include('<returnCount>1</returnCount>');
    });

    it('a default-namespace Envelope, and a value in CDATA or around a comment', async () => {
      const { user, ts, sig } = signedNow();
      const xml =
        `<Envelope xmlns="${SOAP11}"><Header><AuthenticationHeader xmlns="${MKTOWS}">` +
        `<mktowsUserId xmlns="">${user}</mktowsUserId><requestSignature xmlns="">${sig}</requestSignature>` +
        `<requestTimestamp xmlns="">${ts}</requestTimestamp></AuthenticationHeader></Header>` +
        `<Body><paramsGetLead xmlns="${MKTOWS}"><leadKey xmlns=""><keyType>EMAIL</keyType>` +
        `<keyValue><![CDATA[${EMAIL}]]></keyValue></leadKey></paramsGetLead></Body></Envelope>`;
      expectFound(await postXml(service.url, xml), 'default namespace, CDATA');
      const commented = await rawCall(
        service.url,
        `<ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue><!-- key -->${EMAIL}<!-- end --></keyValue></leadKey></ns1:paramsGetLead>`,
      );
      expectFound(commented, 'comments around a value');
    });

    it('empty optional members (suds, SoapUI left blank) read as not given', async () => {
      const r = await rawCall(
        service.url,
        `<ns1:paramsGetLeadActivity><leadKey><keyType>EMAIL</keyType><keyValue>${EMAIL}</keyValue></leadKey>` +
          '<activityFilter/><startPosition><latestCreatedAt/><offset/></startPosition><batchSize/></ns1:paramsGetLeadActivity>',
      );
      expect(r.status, r.body).to.equal(200);
      const nil = await rawCall(
        service.url,
        `<ns1:paramsGetLeadActivity><leadKey><keyType>EMAIL</keyType><keyValue>${EMAIL}</keyValue></leadKey>` +
          '<activityFilter xsi:nil="true"/><startPosition xsi:nil="true"/><batchSize xsi:nil="true"/></ns1:paramsGetLeadActivity>',
      );
      expect(nil.status, nil.body).to.equal(200);
      const batch = await rawCall(
        service.url,
        `<ns1:paramsSyncMultipleLeads><leadRecordList><leadRecord><Email>${EMAIL}</Email></leadRecord></leadRecordList><dedupEnabled/></ns1:paramsSyncMultipleLeads>`,
      );
      expect(batch.status, batch.body).to.equal(200);
      expect(batch.body).to.include('<status>UPDATED</status>');
    });

    it('takes every SOAPAction spelling stubs send: quoted, bare, empty, absent, the bare name', async () => {
      const body = getLeadByEmailXml(EMAIL);
      for (const action of [
        `"${MKTOWS}getLead"`,
        `${MKTOWS}getLead`,
        '""',
        '',
        undefined,
        'getLead',
        ` "${MKTOWS}getLead" `,
      ]) {
        const r = await rawCall(
          service.url,
          body,
          action === undefined ? {} : { soapAction: action },
        );
        expectFound(r, `SOAPAction ${String(action)}`);
      }
      const other = await rawCall(service.url, body, { soapAction: `"${MKTOWS}syncLead"` });
      expect(faultCode(other.body), other.body).to.equal(20019);
    });

    it('takes SOAP::Lite’s SOAPAction "namespace#name" (params element or operation); another operation’s is 20019', async () => {
      const body = getLeadByEmailXml(EMAIL);
      for (const action of [`"${MKTOWS}#paramsGetLead"`, `"${MKTOWS}#getLead"`]) {
        expectFound(
          await rawCall(service.url, body, { soapAction: action }),
          `SOAPAction ${action}`,
        );
      }
      for (const action of [
        `"${MKTOWS}#paramsSyncLead"`,
        `"${MKTOWS}#syncLead"`,
        '"urn:x#paramsGetLead"',
      ]) {
        const r = await rawCall(service.url, body, { soapAction: action });
        expect(faultCode(r.body), `SOAPAction ${action}: ${r.body}`).to.equal(20019);
      }
    });

    it("takes SOAP::Lite’s on_action(sub { join '', @_ }) (and with '/', or the element alone): namespace and params element joined", async () => {
      const body = getLeadByEmailXml(EMAIL);
      for (const action of [
        `"${MKTOWS}paramsGetLead"`,
        `"${MKTOWS}/paramsGetLead"`,
        `"${MKTOWS}/getLead"`,
        '"paramsGetLead"',
      ]) {
        expectFound(
          await rawCall(service.url, body, { soapAction: action }),
          `SOAPAction ${action}`,
        );
      }
      for (const action of [
        `"${MKTOWS}paramsSyncLead"`,
        `"${MKTOWS}/paramsSyncLead"`,
        '"paramsSyncLead"',
        '"urn:x/paramsGetLead"',
      ]) {
        const r = await rawCall(service.url, body, { soapAction: action });
        expect(faultCode(r.body), `SOAPAction ${action}: ${r.body}`).to.equal(20019);
      }
    });

    it('answers a client that waits for 100 Continue (.NET HttpWebRequest’s default)', async () => {
      const xml = Buffer.from(envelope(getLeadByEmailXml(EMAIL)));
      const { port, hostname } = new URL(service.url);
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(Number(port), hostname);
        let received = '';
        let sent = false;
        socket.on('data', (chunk) => {
          received += chunk.toString('utf8');
          if (!sent && received.startsWith('HTTP/1.1 100')) {
            sent = true;
            socket.write(xml);
          }
          if (sent && received.includes('</SOAP-ENV:Envelope>')) {
            socket.end();
            resolve(received);
          }
        });
        socket.on('error', reject);
        socket.write(
          `POST ${new URL(service.url).pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n` +
            `Content-Type: text/xml; charset=utf-8\r\nSOAPAction: "${MKTOWS}getLead"\r\n` +
            `Content-Length: ${xml.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
        );
        setTimeout(() => reject(new Error(`no answer: ${received}`)), 10000);
      });
      expect(answer).to.match(/^HTTP\/1\.1 100 Continue/);
      expect(answer).to.include('HTTP/1.1 200');
      expect(answer).to.include('<count>1</count>');
    });

    it('a header entry with mustUnderstand="0" is ignored, not refused', async () => {
      const r = await rawCall(service.url, getLeadByEmailXml(EMAIL), {
        extraHeaderXml:
          '<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" SOAP-ENV:mustUnderstand="0"/>',
      });
      expectFound(r, 'mustUnderstand 0');
      expect(authHeaderXml()).to.include('AuthenticationHeader');
    });
  });
}
