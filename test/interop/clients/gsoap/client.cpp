// An mktows integration as C++ shops wrote it with gSOAP: wsdl2h + soapcpp2 -j -C proxy classes,
// the AuthenticationHeader set through the proxy before each call (gSOAP clears it on every
// answer), answers read from the generated classes, faults from the soap context.
//
//     client ENDPOINT USER_ID REQUEST_TIMESTAMP REQUEST_SIGNATURE EMAIL
//
// The caller signs (timestamp + user id, HMAC-SHA1): this client links no crypto library.
// Prints one line per call, for test/interop/gsoap.test.ts.
#include <cstdio>
#include <initializer_list>
#include <string>

#include "MktowsApiSoapBinding.nsmap"
#include "soapMktowsApiSoapBindingProxy.h"

namespace {

std::string attribute(const ns1__LeadRecord *lead, const std::string &name) {
  if (lead == NULL || lead->leadAttributeList == NULL) return "(none)";
  for (const ns1__Attribute *a : lead->leadAttributeList->attribute)
    if (a != NULL && a->attrName == name) return a->attrValue;
  return "(none)";
}

// faultcode | faultstring | the <code> in the detail, as gSOAP kept them.
std::string fault(MktowsApiSoapBindingProxy &proxy) {
  struct soap *soap = proxy.soap;
  const char *code = soap->fault && soap->fault->faultcode ? soap->fault->faultcode : "";
  const char *string = soap_fault_string(soap) ? soap_fault_string(soap) : "";
  const char *detail = soap_fault_detail(soap) ? soap_fault_detail(soap) : "";
  std::string d(detail), vendor;
  std::string::size_type at = d.find("<code>");
  if (at != std::string::npos) {
    std::string::size_type end = d.find("</code>", at);
    if (end != std::string::npos) vendor = d.substr(at + 6, end - at - 6);
  }
  return std::string(code) + " | " + string + " | " + vendor;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s ENDPOINT USER_ID TIMESTAMP SIGNATURE EMAIL\n", argv[0]);
    return 2;
  }
  const std::string email = argv[5];
  MktowsApiSoapBindingProxy proxy(argv[1]);

  ns1__AuthenticationHeaderInfo auth;
  auth.mktowsUserId = argv[2];
  auth.requestTimestamp = argv[3];
  auth.requestSignature = argv[4];
  int failures = 0;

  // 1 and 3. syncLead by address, one attribute set, the record asked back; `shown` are the
  // record's attributes printed after its id and status.
  auto syncLead = [&](const char *label, const char *name, const char *value,
                      std::initializer_list<const char *> shown) {
    ns1__Attribute attribute_;
    attribute_.attrName = name;
    attribute_.attrValue = value;
    ns1__ArrayOfAttribute attrs;
    attrs.attribute.push_back(&attribute_);
    std::string address(email);
    ns1__LeadRecord record;
    record.Email = &address;
    record.leadAttributeList = &attrs;
    ns1__ParamsSyncLead params;
    params.leadRecord = &record;
    params.returnLead = true;
    ns1__SuccessSyncLead answer;
    proxy.soap_header(&auth, NULL);
    if (proxy.syncLead(&params, answer) == SOAP_OK && answer.result && answer.result->syncStatus) {
      const ns1__ResultSyncLead *r = answer.result;
      std::printf("%s: %d %s", label, r->leadId,
                  soap_ns1__LeadSyncStatus2s(proxy.soap, r->syncStatus->status));
      for (const char *shownName : shown)
        std::printf(" %s=%s", shownName, attribute(r->leadRecord, shownName).c_str());
      std::printf("\n");
    } else {
      std::printf("%s: fault %s\n", label, fault(proxy).c_str());
      ++failures;
    }
  };

  // 1. A new person.
  syncLead("syncLead", "FirstName", "Ann", {"FirstName", "Unsubscribed"});

  // 2 and 4. getLead EMAIL: every person with the address.
  auto getLead = [&](const char *label) {
    ns1__LeadKey key;
    key.keyType = ns1__LeadKeyRef__EMAIL;
    key.keyValue = email;
    ns1__ParamsGetLead params;
    params.leadKey = &key;
    ns1__SuccessGetLead answer;
    proxy.soap_header(&auth, NULL);
    if (proxy.getLead(&params, answer) != SOAP_OK || answer.result == NULL) {
      std::printf("%s: fault %s\n", label, fault(proxy).c_str());
      ++failures;
      return;
    }
    std::printf("%s: %d", label, answer.result->count);
    if (answer.result->leadRecordList)
      for (const ns1__LeadRecord *lead : answer.result->leadRecordList->leadRecord)
        std::printf(" %d <%s> Unsubscribed=%s", lead->Id ? *lead->Id : -1,
                    lead->Email ? lead->Email->c_str() : "", attribute(lead, "Unsubscribed").c_str());
    std::printf("\n");
  };
  getLead("getLead");

  // 3. The same person by address, unsubscribed.
  syncLead("unsubscribe", "Unsubscribed", "true", {"Unsubscribed"});

  getLead("getLead after");

  // 5. A wrong signature (the given one with its first character changed): the fault as read.
  {
    ns1__AuthenticationHeaderInfo wrong = auth;
    wrong.requestSignature[0] = wrong.requestSignature[0] == '0' ? '1' : '0';
    ns1__LeadKey key;
    key.keyType = ns1__LeadKeyRef__EMAIL;
    key.keyValue = email;
    ns1__ParamsGetLead params;
    params.leadKey = &key;
    ns1__SuccessGetLead answer;
    proxy.soap_header(&wrong, NULL);
    if (proxy.getLead(&params, answer) == SOAP_OK) {
      std::printf("wrong signature: accepted\n");
      ++failures;
    } else {
      std::printf("wrong signature: %s\n", fault(proxy).c_str());
    }
  }

  proxy.destroy();
  return failures == 0 ? 0 : 1;
}
