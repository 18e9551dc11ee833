// An mktows integration as C++ shops wrote it with gSOAP: wsdl2h + soapcpp2 -j -C proxy classes,
// the AuthenticationHeader set through the proxy before each call (gSOAP clears it on every
// answer), answers read from the generated classes, faults from the soap context.
//
//     client ENDPOINT USER_ID REQUEST_TIMESTAMP REQUEST_SIGNATURE EMAIL [strict]
//
// The caller signs (timestamp + user id, HMAC-SHA1): this client links no crypto library.
// `strict` reads every answer with SOAP_XML_STRICT, gSOAP's validating parser: an element the
// schema does not declare there, a required one missing, one too many, a nil that is not
// nillable or a value outside its enumeration is an error instead of being passed over.
// Prints one line per call, for test/interop/gsoap.test.ts.
#include <cstdio>
#include <initializer_list>
#include <string>
#include <vector>

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
  if (argc != 6 && !(argc == 7 && std::string(argv[6]) == "strict")) {
    std::fprintf(stderr, "usage: %s ENDPOINT USER_ID TIMESTAMP SIGNATURE EMAIL [strict]\n",
                 argv[0]);
    return 2;
  }
  const std::string email = argv[5];
  MktowsApiSoapBindingProxy proxy(argv[1]);
  if (argc == 7) soap_set_imode(proxy.soap, SOAP_XML_STRICT);

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

  // 5. The rest of what is served, answers as the generated classes read them.
  ns1__LeadKey key;
  key.keyType = ns1__LeadKeyRef__EMAIL;
  key.keyValue = email;
  {
    ns1__ParamsGetLeadActivity params;
    params.leadKey = &key;
    ns1__SuccessGetLeadActivity answer;
    proxy.soap_header(&auth, NULL);
    const ns1__LeadActivityList *page = NULL;
    if (proxy.getLeadActivity(&params, answer) == SOAP_OK) page = answer.leadActivityList;
    if (page && page->activityRecordList && !page->activityRecordList->activityRecord.empty()) {
      const ns1__ActivityRecord *newest = page->activityRecordList->activityRecord.front();
      std::printf("getLeadActivity: %d newest=%s/%s\n", page->returnCount,
                  newest->activityType.c_str(),
                  newest->mktgAssetName ? newest->mktgAssetName->c_str() : "(nil)");
    } else {
      std::printf("getLeadActivity: fault %s\n", fault(proxy).c_str());
      ++failures;
    }
  }
  ns1__ArrayOfString keyValues;
  keyValues.stringItem.push_back(email);
  ns1__LeadKeySelector byEmail;
  byEmail.keyType = ns1__LeadKeyRef__EMAIL;
  byEmail.keyValues = &keyValues;
  {
    ns1__ParamsGetMultipleLeads params;
    params.leadSelector = &byEmail;
    ns1__SuccessGetMultipleLeads answer;
    proxy.soap_header(&auth, NULL);
    if (proxy.getMultipleLeads(&params, answer) == SOAP_OK && answer.result) {
      const ns1__ResultGetMultipleLeads *r = answer.result;
      std::printf("getMultipleLeads: %d remaining=%d position=[%s]\n", r->returnCount,
                  r->remainingCount, r->newStreamPosition.c_str());
    } else {
      std::printf("getMultipleLeads: fault %s\n", fault(proxy).c_str());
      ++failures;
    }
  }
  {
    std::string start("ID:0");
    ns1__StreamPosition position;
    position.offset = &start;
    ns1__ParamsGetLeadChanges params;
    params.startPosition = &position;
    params.leadSelector = &byEmail;
    ns1__SuccessGetLeadChanges answer;
    proxy.soap_header(&auth, NULL);
    if (proxy.getLeadChanges(&params, answer) == SOAP_OK && answer.result) {
      const ns1__ResultGetLeadChanges *r = answer.result;
      std::printf("getLeadChanges: %d remaining=%d offset=%s\n", r->returnCount, r->remainingCount,
                  r->newStartPosition && r->newStartPosition->offset
                      ? r->newStartPosition->offset->c_str()
                      : "(nil)");
    } else {
      std::printf("getLeadChanges: fault %s\n", fault(proxy).c_str());
      ++failures;
    }
  }
  {
    ns1__ParamsDescribeMObject params;
    params.objectName = "LeadRecord";
    ns1__SuccessDescribeMObject answer;
    proxy.soap_header(&auth, NULL);
    const ns1__MObjectMetadata *metadata = NULL;
    if (proxy.describeMObject(&params, answer) == SOAP_OK && answer.result)
      metadata = answer.result->metadata;
    if (metadata && metadata->fieldList) {
      std::printf("describeMObject: %s %s\n", metadata->name.c_str(),
                  metadata->fieldList->field.empty() ? "no fields" : "fields");
    } else {
      std::printf("describeMObject: fault %s\n", fault(proxy).c_str());
      ++failures;
    }
  }

  // 6. syncMultipleLeads: two new people and a record whose Id finds no one (FAILED alone, its
  // leadId the Id sent); mergeLeads of the second into the first, then again (the loser gone:
  // FAILED, its winningLeadId and losingLeadIdList nil); listMObjects.
  int first = 0, second = 0;
  {
    std::string a("batch1." + email), b("batch2." + email);
    int nobody = 999999999;
    ns1__LeadRecord one, two, three;
    one.Email = &a;
    two.Email = &b;
    three.Id = &nobody;
    ns1__ArrayOfLeadRecord records;
    records.leadRecord = {&one, &two, &three};
    ns1__ParamsSyncMultipleLeads params;
    params.leadRecordList = &records;
    ns1__SuccessSyncMultipleLeads answer;
    proxy.soap_header(&auth, NULL);
    if (proxy.syncMultipleLeads(&params, answer) == SOAP_OK && answer.result &&
        answer.result->syncStatusList) {
      std::printf("syncMultipleLeads:");
      for (const ns1__SyncStatus *status : answer.result->syncStatusList->syncStatus)
        std::printf(" %d %s%s", status->leadId,
                    soap_ns1__LeadSyncStatus2s(proxy.soap, status->status),
                    status->error ? "(error)" : "");
      std::printf("\n");
      const std::vector<ns1__SyncStatus *> &statuses = answer.result->syncStatusList->syncStatus;
      if (statuses.size() == 3) {
        first = statuses[0]->leadId;
        second = statuses[1]->leadId;
      }
    } else {
      std::printf("syncMultipleLeads: fault %s\n", fault(proxy).c_str());
      ++failures;
    }
  }
  auto mergeLeads = [&](const char *label, int winner, int loser) {
    std::string winnerId(std::to_string(winner)), loserId(std::to_string(loser));
    ns1__Attribute winnerKey, loserKey;
    winnerKey.attrName = "IDNUM";
    winnerKey.attrValue = winnerId;
    loserKey.attrName = "IDNUM";
    loserKey.attrValue = loserId;
    ns1__ArrayOfAttribute winning, losing;
    winning.attribute.push_back(&winnerKey);
    losing.attribute.push_back(&loserKey);
    ns1__ArrayOfKeyList losers;
    losers.keyList.push_back(&losing);
    ns1__ParamsMergeLeads params;
    params.winningLeadKeyList = &winning;
    params.losingLeadKeyLists = &losers;
    ns1__SuccessMergeLeads answer;
    proxy.soap_header(&auth, NULL);
    if (proxy.mergeLeads(&params, answer) == SOAP_OK && answer.result &&
        answer.result->mergeStatus) {
      const ns1__MergeStatus *m = answer.result->mergeStatus;
      std::printf("%s: %s winner=", label, soap_ns1__LeadMergeStatusEnum2s(proxy.soap, m->status));
      if (m->winningLeadId)
        std::printf("%d", *m->winningLeadId);
      else
        std::printf("(nil)");
      std::printf(" losers=");
      if (m->losingLeadIdList)
        for (int id : m->losingLeadIdList->integerItem) std::printf("%d ", id);
      else
        std::printf("(nil) ");
      std::printf("error=%s\n", m->error ? "yes" : "(nil)");
    } else {
      std::printf("%s: fault %s\n", label, fault(proxy).c_str());
      ++failures;
    }
  };
  mergeLeads("mergeLeads", first, second);
  mergeLeads("mergeLeads again", first, second);
  {
    ns1__ParamsListMObjects params;
    ns1__SuccessListMObjects answer;
    proxy.soap_header(&auth, NULL);
    if (proxy.listMObjects(&params, answer) == SOAP_OK && answer.result) {
      std::printf("listMObjects:");
      for (const std::string &name : answer.result->objects) std::printf(" %s", name.c_str());
      std::printf("\n");
    } else {
      std::printf("listMObjects: fault %s\n", fault(proxy).c_str());
      ++failures;
    }
  }

  // 7. A wrong signature (the given one with its first character changed): the fault as read.
  {
    ns1__AuthenticationHeaderInfo wrong = auth;
    wrong.requestSignature[0] = wrong.requestSignature[0] == '0' ? '1' : '0';
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
