using System;
using System.Collections.Generic;
using System.Web.Services.Protocols;
using Mktows;
using Attribute = Mktows.Attribute;

/// <summary>
/// The operations AsmxClient leaves out, as an "Add Web Reference" (wsdl.exe) integration calls
/// them through the same proxy (AsmxSession): getMultipleLeads by keys and by update date (the
/// derived selectors XmlSerializer writes with xsi:type), the newStreamPosition passed back,
/// getLeadChanges paged by the newStartPosition read (and filtered by an ActivityTypeFilter),
/// a StaticListSelector, mergeLeads, deleteLead, requestCampaign (not served), listMObjects and
/// describeMObject; then a call signed with the wrong key (fault 20014).
///
///   mono AsmxOperations.exe ENDPOINT_URL USER_ID ENCRYPTION_KEY
///
/// Prints one JSON line of what the proxy read (test/interop/dotnet-asmx.test.ts checks it).
/// </summary>
static class AsmxOperations
{
    static string Page(ResultGetMultipleLeads r)
    {
        List<string> ids = new List<string>();
        if (r.leadRecordList != null) foreach (LeadRecord lead in r.leadRecordList) ids.Add(lead.Id.ToString());
        return Json.Obj(
            "returnCount", r.returnCount.ToString(),
            "remainingCount", r.remainingCount.ToString(),
            "position", string.IsNullOrEmpty(r.newStreamPosition) ? "false" : "true",
            "ids", Json.Arr(ids));
    }

    static Attribute Key(string type, string value)
    {
        Attribute a = new Attribute();
        a.attrName = type;
        a.attrValue = value;
        return a;
    }

    static LeadKey LeadKey(LeadKeyRef type, string value)
    {
        LeadKey key = new LeadKey();
        key.keyType = type;
        key.keyValue = value;
        return key;
    }

    static string Run(AsmxSession session, AsmxSession wrongKey)
    {
        string run = DateTime.Now.ToString("HHmmssfff");
        DateTime since = DateTime.Now.AddMinutes(-1);
        string[] emails = new string[3];
        LeadRecord[] records = new LeadRecord[3];
        for (int i = 0; i < 3; i++)
        {
            emails[i] = "asmx-ops-" + (i + 1) + "-" + run + "@example.com";
            records[i] = new LeadRecord();
            records[i].Email = emails[i];
        }
        ParamsSyncMultipleLeads sync = new ParamsSyncMultipleLeads();
        sync.leadRecordList = records;
        sync.dedupEnabled = true;
        sync.dedupEnabledSpecified = true;
        List<string> ids = new List<string>();
        foreach (SyncStatus s in session.Signed().syncMultipleLeads(sync).result.syncStatusList) ids.Add(s.leadId.ToString());
        List<string> report = new List<string>();
        report.Add("ids");
        report.Add(Json.Arr(ids));

        // getMultipleLeads by keys, two a page, the position passed back until none is left.
        List<string> pages = new List<string>();
        string position = null;
        do
        {
            LeadKeySelector selector = new LeadKeySelector();
            selector.keyType = LeadKeyRef.EMAIL;
            selector.keyValues = emails;
            ParamsGetMultipleLeads p = new ParamsGetMultipleLeads();
            p.leadSelector = selector;
            p.streamPosition = position;
            p.batchSize = 2;
            p.batchSizeSpecified = true;
            ResultGetMultipleLeads r = session.Signed().getMultipleLeads(p).result;
            pages.Add(Page(r));
            position = r.newStreamPosition;
        } while (!string.IsNullOrEmpty(position) && pages.Count < 5);
        report.Add("byKeys");
        report.Add(Json.Arr(pages));

        // getMultipleLeads by update date, Email alone asked for.
        LastUpdateAtSelector updatedSince = new LastUpdateAtSelector();
        updatedSince.oldestUpdatedAt = since;
        ParamsGetMultipleLeads byUpdate = new ParamsGetMultipleLeads();
        byUpdate.leadSelector = updatedSince;
        byUpdate.batchSize = 100;
        byUpdate.batchSizeSpecified = true;
        byUpdate.includeAttributes = new string[] { "Email" };
        report.Add("byUpdate");
        report.Add(Page(session.Signed().getMultipleLeads(byUpdate).result));

        // A page that finds no one: its empty <leadRecordList/> read as a list of none.
        LeadKeySelector nobody = new LeadKeySelector();
        nobody.keyType = LeadKeyRef.EMAIL;
        nobody.keyValues = new string[] { "nobody-" + run + "@example.com" };
        ParamsGetMultipleLeads none = new ParamsGetMultipleLeads();
        none.leadSelector = nobody;
        ResultGetMultipleLeads empty = session.Signed().getMultipleLeads(none).result;
        report.Add("emptyPage");
        report.Add(Json.Obj(
            "returnCount", empty.returnCount.ToString(),
            "records", empty.leadRecordList == null ? "null" : empty.leadRecordList.Length.ToString()));

        // The first person's New Lead activity: campaign and mktgAssetName as the proxy read them.
        ParamsGetLeadActivity history = new ParamsGetLeadActivity();
        history.leadKey = LeadKey(LeadKeyRef.IDNUM, ids[0]);
        string newLead = "null";
        foreach (ActivityRecord a in session.Signed().getLeadActivity(history).leadActivityList.activityRecordList)
        {
            if (a.activityType == "New Lead") newLead = Json.Obj("campaign", Json.Str(a.campaign), "mktgAssetName", Json.Str(a.mktgAssetName));
        }
        report.Add("newLead");
        report.Add(newLead);

        // Values outside ASCII and a multi-line Address, as a .NET string holds them, read back.
        LeadRecord zoe = new LeadRecord();
        zoe.Email = "zoe-" + run + "@example.com";
        zoe.leadAttributeList = new Attribute[] { Key("FirstName", "Zo\u00eb \u6771\u4eac"), Key("Address", "1 Main St\r\nSuite 2") };
        ParamsSyncLead values = new ParamsSyncLead();
        values.leadRecord = zoe;
        values.returnLead = true;
        Attribute[] stored = session.Signed().syncLead(values).result.leadRecord.leadAttributeList;
        string firstName = null, address = null;
        foreach (Attribute a in stored)
        {
            if (a.attrName == "FirstName") firstName = a.attrValue;
            if (a.attrName == "Address") address = a.attrValue;
        }
        report.Add("values");
        report.Add(Json.Obj("firstName", Json.Str(firstName), "address", Json.Str(address)));

        // A static list: none is kept here.
        string staticList = "null";
        try
        {
            StaticListSelector list = new StaticListSelector();
            list.staticListName = "Program.List";
            ParamsGetMultipleLeads p = new ParamsGetMultipleLeads();
            p.leadSelector = list;
            session.Signed().getMultipleLeads(p);
        }
        catch (SoapException e)
        {
            staticList = Json.Str(AsmxSession.FaultCode(e));
        }
        report.Add("staticList");
        report.Add(staticList);

        // getLeadChanges since a minute ago, a page of one at a time, the position passed back.
        List<string> changes = new List<string>();
        StreamPosition start = new StreamPosition();
        start.oldestCreatedAt = since;
        start.oldestCreatedAtSpecified = true;
        for (int n = 0; n < 50; n++)
        {
            ParamsGetLeadChanges p = new ParamsGetLeadChanges();
            p.startPosition = start;
            p.batchSize = 1;
            p.batchSizeSpecified = true;
            ResultGetLeadChanges r = session.Signed().getLeadChanges(p).result;
            if (r.leadChangeRecordList != null)
            {
                foreach (LeadChangeRecord c in r.leadChangeRecordList)
                {
                    changes.Add(Json.Arr(new string[] { c.id.ToString(), Json.Str(c.mktPersonId), Json.Str(c.activityType) }));
                }
            }
            if (r.remainingCount == 0) break;
            start = r.newStartPosition;
        }
        report.Add("changes");
        report.Add(Json.Arr(changes));

        // mergeLeads: the second person wins over the third.
        string merge;
        try
        {
            ParamsMergeLeads p = new ParamsMergeLeads();
            p.winningLeadKeyList = new Attribute[] { Key("IDNUM", ids[1]) };
            p.losingLeadKeyLists = new Attribute[][] { new Attribute[] { Key("EMAIL", emails[2]) } };
            MergeStatus merged = session.Signed().mergeLeads(p).result.mergeStatus;
            List<string> losing = new List<string>();
            if (merged.losingLeadIdList != null) foreach (int id in merged.losingLeadIdList) losing.Add(id.ToString());
            merge = Json.Obj(
                "status", Json.Str(merged.status.ToString()),
                "winningLeadId", merged.winningLeadId.ToString(),
                "losingLeadIdList", Json.Arr(losing));
        }
        catch (SoapException e)
        {
            merge = Json.Obj("fault", Json.Str(AsmxSession.FaultCode(e)));
        }
        report.Add("merge");
        report.Add(merge);

        // deleteLead: the first person by id; then the merged-away third by address, a fault.
        ParamsDeleteLead delete = new ParamsDeleteLead();
        delete.leadKey = LeadKey(LeadKeyRef.IDNUM, ids[0]);
        ResultDeleteLead deleted = session.Signed().deleteLead(delete).result;
        List<string> deletedIds = new List<string>();
        if (deleted.leadIdList != null) foreach (int id in deleted.leadIdList) deletedIds.Add(id.ToString());
        string gone = "null";
        try
        {
            ParamsDeleteLead again = new ParamsDeleteLead();
            again.leadKey = LeadKey(LeadKeyRef.EMAIL, emails[2]);
            session.Signed().deleteLead(again);
        }
        catch (SoapException e)
        {
            gone = Json.Str(AsmxSession.FaultCode(e));
        }
        report.Add("delete");
        report.Add(Json.Obj("count", deleted.count.ToString(), "leadIdList", Json.Arr(deletedIds), "again", gone));

        // requestCampaign, an operation the WSDL declares and the service does not serve.
        string unserved = "null";
        try
        {
            ParamsRequestCampaign campaign = new ParamsRequestCampaign();
            campaign.source = ReqCampSourceType.MKTOWS;
            campaign.campaignId = 1;
            campaign.campaignIdSpecified = true;
            campaign.leadList = new LeadKey[] { LeadKey(LeadKeyRef.IDNUM, ids[1]) };
            session.Signed().requestCampaign(campaign);
        }
        catch (SoapException e)
        {
            unserved = Json.Str(AsmxSession.FaultCode(e));
        }
        report.Add("unserved");
        report.Add(unserved);

        // describeMObject of each object listMObjects names.
        List<string> described = new List<string>();
        foreach (string name in session.Signed().listMObjects(new ParamsListMObjects()).result)
        {
            ParamsDescribeMObject p = new ParamsDescribeMObject();
            p.objectName = name;
            MObjectMetadata m = session.Signed().describeMObject(p).result.metadata;
            List<string> fields = new List<string>();
            foreach (MObjFieldMetadata f in m.fieldList) fields.Add(Json.Str(f.name));
            described.Add(Json.Obj("name", Json.Str(m.name), "fields", Json.Arr(fields)));
        }
        report.Add("described");
        report.Add(Json.Arr(described));

        // A signature made with the wrong key: SoapException, the vendor code in its Detail.
        string refused = "null";
        try
        {
            wrongKey.Signed().listMObjects(new ParamsListMObjects());
        }
        catch (SoapException e)
        {
            refused = Json.Obj("faultstring", Json.Str(e.Message), "code", Json.Str(AsmxSession.FaultCode(e)));
        }
        report.Add("wrongKey");
        report.Add(refused);
        return Json.Obj(report.ToArray());
    }

    static void Main(string[] args)
    {
        Console.WriteLine(Run(new AsmxSession(args[0], args[1], args[2]), new AsmxSession(args[0], args[1], "not-" + args[2])));
    }
}
