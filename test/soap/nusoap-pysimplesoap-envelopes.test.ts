/**
 * The envelopes PHP NuSOAP 0.9.5 and Python pysimplesoap 1.16 write, byte for byte as captured
 * from them (the toolkits themselves run in test/interop/nusoap.test.ts and
 * pysimplesoap.test.ts): what is unusual in them is read, and what the schema does not declare
 * is answered with a fault that says what to send.
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { exchangeUntilClosed } from '../support/raw-socket.js';
import { expectFault, postXml, startTestService, type TestService } from '../support/service.js';
import { MKTOWS, signedNow } from '../support/toolkit-envelopes.js';

const SOAP_ENV =
  'xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" ' +
  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/"';

/** NuSOAP's header as its users pasted it (setHeaders with XML text). */
function nusoapHeader(): string {
  const { user, ts, sig } = signedNow();
  return (
    `<SOAP-ENV:Header><ns1:AuthenticationHeader xmlns:ns1="${MKTOWS}"><mktowsUserId>${user}</mktowsUserId>` +
    `<requestSignature>${sig}</requestSignature><requestTimestamp>${ts}</requestTimestamp>` +
    '</ns1:AuthenticationHeader></SOAP-ENV:Header>'
  );
}

/** pysimplesoap's HTTP headers: its quoted charset, the SOAPAction quoted. */
const PYSIMPLESOAP_HTTP = (action: string) => ({
  soapAction: `"${MKTOWS}${action}"`,
  headers: { 'Content-Type': 'text/xml; charset="UTF-8"' },
});

/** pysimplesoap's envelope; `header` the AuthenticationHeader's start tag as it writes it. */
function pysimplesoapEnvelope(header: string, body: string): string {
  const { user, ts, sig } = signedNow();
  return (
    '<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ' +
    'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" ' +
    `xmlns:ns1="${MKTOWS}">\n<soap:Header>${header}<mktowsUserId>${user}</mktowsUserId>` +
    `<requestSignature>${sig}</requestSignature><requestTimestamp>${ts}</requestTimestamp>` +
    `</AuthenticationHeader></soap:Header>\n<soap:Body>${body}</soap:Body>\n</soap:Envelope>`
  );
}

for (const engine of testEngines()) {
  describe(`envelopes as NuSOAP and pysimplesoap write them (${engine.name})`, function () {
    this.timeout(30000);
    let service: TestService;

    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    it('NuSOAP without a WSDL: HTTP/1.0, ISO-8859-1 bytes, rpc/encoded with its own prefix and its SOAP-ENC arrays of unnamed_struct_use_soapval', async () => {
      const body =
        `<?xml version="1.0" encoding="ISO-8859-1"?><SOAP-ENV:Envelope SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/" ${SOAP_ENV}>` +
        nusoapHeader() +
        `<SOAP-ENV:Body><ns1020:paramsSyncMultipleLeads xmlns:ns1020="${MKTOWS}"><leadRecordList>` +
        '<leadRecord xsi:type="SOAP-ENC:Array" SOAP-ENC:arrayType="unnamed_struct_use_soapval[2]">' +
        '<item><Email xsi:type="xsd:string">nusoap-1@example.com</Email><leadAttributeList>' +
        '<attribute xsi:type="SOAP-ENC:Array" SOAP-ENC:arrayType="unnamed_struct_use_soapval[1]">' +
        '<item><attrName xsi:type="xsd:string">FirstName</attrName><attrValue xsi:type="xsd:string">Zo\u00eb</attrValue></item>' +
        '</attribute></leadAttributeList></item><item><Email xsi:type="xsd:string">nusoap-2@example.com</Email></item>' +
        '</leadRecord></leadRecordList><dedupEnabled xsi:type="xsd:boolean">1</dedupEnabled>' +
        '</ns1020:paramsSyncMultipleLeads></SOAP-ENV:Body></SOAP-ENV:Envelope>';
      // The HTTP/1.0 POST as NuSOAP sends it, text outside ASCII in its ISO-8859-1 bytes.
      const post = (xml: string) =>
        Buffer.concat([
          Buffer.from(
            'POST /soap/mktows/2_9 HTTP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: NuSOAP/0.9.5 (1.123)\r\n' +
              'Content-Type: text/xml; charset=ISO-8859-1\r\n' +
              'SOAPAction: "http://www.marketo.com/mktows/syncMultipleLeads"\r\n' +
              `Content-Length: ${Buffer.byteLength(xml, 'latin1')}\r\n\r\n`,
          ),
          Buffer.from(xml, 'latin1'),
        ]);
      const answer = await exchangeUntilClosed(service.running.port, post(body));
      expect(answer).to.match(/^HTTP\/1\.[01] 200/);
      expect(answer.match(/<status>CREATED<\/status>/g), answer).to.have.length(2);

      const lead = await postXml(
        service.url,
        `<?xml version="1.0" encoding="ISO-8859-1"?><SOAP-ENV:Envelope ${SOAP_ENV}>${nusoapHeader()}` +
          `<SOAP-ENV:Body><paramsGetLead xmlns="${MKTOWS}"><leadKey xmlns=""><keyType xmlns="">EMAIL</keyType>` +
          '<keyValue xmlns="">nusoap-1@example.com</keyValue></leadKey></paramsGetLead></SOAP-ENV:Body></SOAP-ENV:Envelope>',
      );
      expect(lead.body).to.contain(
        '<attrName>FirstName</attrName><attrType>string</attrType><attrValue>Zoë</attrValue>',
      );
    });

    it('NuSOAP with the WSDL: a soapval selector typed tns:LeadKeySelector, tns bound nowhere in the envelope', async () => {
      const r = await postXml(
        service.url,
        `<?xml version="1.0" encoding="ISO-8859-1"?><SOAP-ENV:Envelope ${SOAP_ENV} xmlns:ns4847="http://tempuri.org">` +
          nusoapHeader() +
          `<SOAP-ENV:Body><paramsGetMultipleLeads xmlns="${MKTOWS}"><leadSelector xmlns="" xsi:type="tns:LeadKeySelector">` +
          '<keyType xmlns="">EMAIL</keyType><keyValues xmlns=""><stringItem xmlns="">nusoap-1@example.com</stringItem>' +
          '</keyValues></leadSelector><batchSize xmlns="">2</batchSize></paramsGetMultipleLeads></SOAP-ENV:Body></SOAP-ENV:Envelope>',
        { headers: { 'Content-Type': 'text/xml; charset=ISO-8859-1' } },
      );
      expect(r.status, r.body).to.equal(200);
      expect(r.body).to.contain('<returnCount>1</returnCount>');
    });

    it('pysimplesoap without a WSDL: the header in the namespace "ns1" (its prefix taken for a URI), members qualified', async () => {
      const r = await postXml(
        service.url,
        pysimplesoapEnvelope(
          '<AuthenticationHeader xmlns="ns1">',
          '<ns1:paramsGetLead><ns1:leadKey><keyType>EMAIL</keyType><keyValue>nusoap-2@example.com</keyValue></ns1:leadKey></ns1:paramsGetLead>',
        ),
        PYSIMPLESOAP_HTTP('paramsGetLead'),
      );
      expect(r.status, r.body).to.equal(200);
      expect(r.body).to.contain('<count>1</count>');
    });

    it('pysimplesoap with the WSDL, called with no argument: a Body element named after the operation is 20012 naming the element to send', async () => {
      const r = await postXml(
        service.url,
        pysimplesoapEnvelope(
          '<AuthenticationHeader>',
          `\n    <listMObjects xmlns="${MKTOWS}">\n    </listMObjects>\n`,
        ),
        PYSIMPLESOAP_HTTP('listMObjects'),
      );
      expectFault(r, 20012);
      expect(r.body).to.contain('the operation listMObjects takes the element paramsListMObjects');
    });
  });
}
