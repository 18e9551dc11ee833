using System;
using System.Collections.Generic;
using Mktows;
using Attribute = Mktows.Attribute;

/// <summary>
/// The calls of the legacy run, made through a .NET client stack (the proxy of "Add Web
/// Reference": AsmxSession), which signs its own AuthenticationHeader and reads its own faults;
/// a client of another stack ("Add Service Reference") would run the same calls over the same
/// XmlSerializer types.
/// </summary>
interface IMktowsCalls
{
    string ClientName { get; }
    SuccessSyncMultipleLeads SyncMultipleLeads(ParamsSyncMultipleLeads p);
    /// <summary>syncLead, with a MktowsContextHeader naming <c>workspace</c> unless it is null.</summary>
    SuccessSyncLead SyncLead(ParamsSyncLead p, string workspace);
    SuccessGetLead GetLead(ParamsGetLead p);
    SuccessGetLeadActivity GetLeadActivity(ParamsGetLeadActivity p);
    /// <summary>faultcode, faultstring and the vendor code of a fault as the stack shows it; null if e is none.</summary>
    string[] Fault(Exception e);
}

/// <summary>
/// The legacy run as a .NET integration writes it with the XmlSerializer types its tool generated
/// from the service's ?WSDL (wsdl.exe's, which "Add Service Reference" generates alike with
/// /serializer:XmlSerializer): prints one JSON line of what the client read (the shape of
/// LegacyRun in test/interop/legacy-toolkits.ts).
/// </summary>
static class LegacyRun
{
    /// <summary>The runtime: Mono's display name (version and build), or .NET's version.</summary>
    public static string RuntimeName()
    {
        Type mono = Type.GetType("Mono.Runtime");
        if (mono == null) return ".NET " + Environment.Version;
        System.Reflection.MethodInfo name = mono.GetMethod(
            "GetDisplayName", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static);
        return "Mono " + name.Invoke(null, null);
    }

    static LeadRecord Record(string email, int? id, params string[] attrs)
    {
        LeadRecord r = new LeadRecord();
        r.Email = email;
        r.Id = id;
        // The generated classes pair each optional value member with its XSpecified flag: a
        // value not marked specified is left out of the request.
        r.IdSpecified = id.HasValue;
        if (attrs.Length > 0)
        {
            Attribute[] list = new Attribute[attrs.Length / 2];
            for (int i = 0; i < list.Length; i++)
            {
                list[i] = new Attribute();
                list[i].attrName = attrs[2 * i];
                list[i].attrValue = attrs[2 * i + 1];
            }
            r.leadAttributeList = list;
        }
        return r;
    }

    static Dictionary<string, string> Attributes(Attribute[] list)
    {
        Dictionary<string, string> found = new Dictionary<string, string>();
        if (list != null) foreach (Attribute a in list) found[a.attrName] = a.attrValue;
        return found;
    }

    static string Get(Dictionary<string, string> d, string name)
    {
        string value;
        return d.TryGetValue(name, out value) ? value : null;
    }

    static LeadKey Key(LeadKeyRef type, string value)
    {
        LeadKey key = new LeadKey();
        key.keyType = type;
        key.keyValue = value;
        return key;
    }

    static string Leads(IMktowsCalls calls, string email)
    {
        ParamsGetLead p = new ParamsGetLead();
        p.leadKey = Key(LeadKeyRef.EMAIL, email);
        ResultGetLead r = calls.GetLead(p).result;
        SortedDictionary<int, string> byId = new SortedDictionary<int, string>();
        if (r.leadRecordList != null)
        {
            foreach (LeadRecord lead in r.leadRecordList)
            {
                Dictionary<string, string> a = Attributes(lead.leadAttributeList);
                byId[lead.Id.Value] = Json.Obj(
                    "id", lead.Id.Value.ToString(),
                    "email", Json.Str(lead.Email),
                    "unsubscribed", Json.Str(Get(a, "Unsubscribed")),
                    "firstName", Json.Str(Get(a, "FirstName")));
            }
        }
        return Json.Obj("count", r.count.ToString(), "leads", Json.Arr(byId.Values));
    }

    static LeadActivityList Activities(IMktowsCalls calls, int leadId, int batch, StreamPosition position)
    {
        ParamsGetLeadActivity p = new ParamsGetLeadActivity();
        p.leadKey = Key(LeadKeyRef.IDNUM, leadId.ToString());
        p.startPosition = position;
        p.batchSize = batch;
        p.batchSizeSpecified = true;
        return calls.GetLeadActivity(p).leadActivityList;
    }

    static string Change(LeadActivityList page)
    {
        if (page.activityRecordList == null) return "null";
        foreach (ActivityRecord r in page.activityRecordList)
        {
            Dictionary<string, string> a = Attributes(r.activityAttributes);
            if (r.activityType == "Change Data Value" && Get(a, "Attribute Name") == "Unsubscribed")
            {
                return Json.Obj(
                    "oldValue", Json.Str(Get(a, "Old Value")),
                    "newValue", Json.Str(Get(a, "New Value")),
                    "reason", Json.Str(Get(a, "Reason")));
            }
        }
        return "null";
    }

    static string Page(LeadActivityList p)
    {
        List<string> ids = new List<string>();
        List<string> types = new List<string>();
        if (p.activityRecordList != null)
        {
            foreach (ActivityRecord r in p.activityRecordList)
            {
                ids.Add(r.id.ToString());
                types.Add(Json.Str(r.activityType));
            }
        }
        return Json.Obj(
            "returnCount", p.returnCount.ToString(),
            "remainingCount", p.remainingCount.ToString(),
            "ids", Json.Arr(ids),
            "types", Json.Arr(types));
    }

    public static string Run(IMktowsCalls calls)
    {
        string run = DateTime.Now.ToString("HHmmssfff");
        string ann = "ann." + run + "@example.com";
        string bob = "bob." + run + "@example.com";
        List<string> report = new List<string>();
        report.Add("client");
        report.Add(Json.Str(calls.ClientName));

        // 1. syncMultipleLeads: two people and a record with an attribute nobody has.
        ParamsSyncMultipleLeads batchParams = new ParamsSyncMultipleLeads();
        batchParams.leadRecordList = new LeadRecord[] {
            Record(ann, null, "FirstName", "Ann"),
            Record(bob, null, "FirstName", "Bob"),
            Record("bad." + run + "@example.com", null, "NoSuchField", "x"),
        };
        batchParams.dedupEnabled = true;
        batchParams.dedupEnabledSpecified = true;
        SyncStatus[] batch = calls.SyncMultipleLeads(batchParams).result.syncStatusList;
        List<string> statuses = new List<string>();
        foreach (SyncStatus s in batch)
        {
            statuses.Add(Json.Obj("leadId", s.leadId.ToString(), "status", Json.Str(s.status.ToString())));
        }
        report.Add("batch");
        report.Add(Json.Arr(statuses));
        int annId = batch[0].leadId;

        // 2. syncLead: the same address, other case and spaces, with a foreign id (so that the
        // address does not find Ann) in partition East (the MktowsContextHeader member).
        LeadRecord eastRecord = Record(" " + ann.ToUpper() + " ", null);
        eastRecord.ForeignSysPersonId = "legacy-" + run;
        ParamsSyncLead eastParams = new ParamsSyncLead();
        eastParams.leadRecord = eastRecord;
        eastParams.returnLead = false;
        ResultSyncLead east = calls.SyncLead(eastParams, "East").result;
        report.Add("east");
        report.Add(Json.Obj("leadId", east.leadId.ToString(), "status", Json.Str(east.syncStatus.status.ToString())));

        report.Add("before");
        report.Add(Leads(calls, ann));

        // 3. syncLead: unsubscribe Ann by her Id, the record returned.
        ParamsSyncLead unsubParams = new ParamsSyncLead();
        unsubParams.leadRecord = Record(null, annId, "Unsubscribed", "true");
        unsubParams.returnLead = true;
        ResultSyncLead unsub = calls.SyncLead(unsubParams, null).result;
        report.Add("unsubscribe");
        report.Add(Json.Obj(
            "leadId", unsub.leadId.ToString(),
            "status", Json.Str(unsub.syncStatus.status.ToString()),
            "returned", Json.Str(Get(Attributes(unsub.leadRecord.leadAttributeList), "Unsubscribed"))));

        report.Add("after");
        report.Add(Leads(calls, ann));
        report.Add("bob");
        report.Add(Leads(calls, bob));

        // 4. getLeadActivity: each person's Unsubscribed change; Ann's history a page at a time,
        // the newStartPosition passed back as the proxy read it (DateTimes and all).
        report.Add("change");
        report.Add(Json.Obj(
            "a", Change(Activities(calls, annId, 100, null)),
            "east", Change(Activities(calls, east.leadId, 100, null))));
        LeadActivityList first = Activities(calls, annId, 1, null);
        LeadActivityList second = Activities(calls, annId, 1, first.newStartPosition);
        report.Add("pages");
        report.Add(Json.Arr(new string[] { Page(first), Page(second) }));

        // 5. A fault: getLead of an address nobody has.
        string fault = "null";
        try
        {
            ParamsGetLead nobody = new ParamsGetLead();
            nobody.leadKey = Key(LeadKeyRef.EMAIL, "nobody." + run + "@example.com");
            calls.GetLead(nobody);
        }
        catch (Exception e)
        {
            string[] read = calls.Fault(e);
            if (read == null) throw;
            fault = Json.Obj("faultcode", Json.Str(read[0]), "faultstring", Json.Str(read[1]), "code", Json.Str(read[2]));
        }
        report.Add("fault");
        report.Add(fault);
        return Json.Obj(report.ToArray());
    }

}
