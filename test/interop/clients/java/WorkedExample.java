import com.marketo.mktows.ActivityRecord;
import com.marketo.mktows.ArrayOfAttribute;
import com.marketo.mktows.ArrayOfLeadRecord;
import com.marketo.mktows.Attribute;
import com.marketo.mktows.LeadKey;
import com.marketo.mktows.LeadKeyRef;
import com.marketo.mktows.LeadRecord;
import com.marketo.mktows.MktowsContextHeaderInfo;
import com.marketo.mktows.MktowsPort;
import com.marketo.mktows.ObjectFactory;
import com.marketo.mktows.ParamsDeleteLead;
import com.marketo.mktows.ParamsGetLead;
import com.marketo.mktows.ParamsSyncLead;
import com.marketo.mktows.ParamsSyncMultipleLeads;
import com.marketo.mktows.ResultDeleteLead;
import com.marketo.mktows.ResultGetLead;
import com.marketo.mktows.ResultSyncLead;
import com.marketo.mktows.SyncStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.ws.soap.SOAPFaultException;

/**
 * The worked example of the durable-unsubscribe spec, run through JAX-WS stubs made by
 * {@code wsimport -XadditionalHeaders} from the live WSDL.
 *
 * <pre>
 *   java WorkedExample WSDL_URL USER_ID ENCRYPTION_KEY
 * </pre>
 *
 * Prints one JSON line (the shape of WorkedExampleRun in test/interop/worked-example.ts), or exits
 * non-zero with a message. Signing and the port come from examples/java/MktowsClient.java.
 */
public final class WorkedExample {
  private final MktowsPort port;
  private final String userId;
  private final String key;
  private final ObjectFactory f = new ObjectFactory();

  private WorkedExample(String wsdlUrl, String userId, String key) throws Exception {
    this.port = MktowsClient.connect(wsdlUrl);
    this.userId = userId;
    this.key = key;
  }

  private static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
    return m;
  }

  private static Map<String, Object> outcome(SyncStatus s) {
    return map("leadId", s.getLeadId(), "status", s.getStatus().value());
  }

  private LeadKey key(LeadKeyRef type, String value) {
    LeadKey k = new LeadKey();
    k.setKeyType(type);
    k.setKeyValue(value);
    return k;
  }

  private LeadRecord record(Integer id, String email, String foreignId, String unsubscribed) {
    LeadRecord r = new LeadRecord();
    if (id != null) r.setId(f.createLeadRecordId(id));
    if (email != null) r.setEmail(f.createLeadRecordEmail(email));
    if (foreignId != null) r.setForeignSysPersonId(f.createLeadRecordForeignSysPersonId(foreignId));
    if (unsubscribed != null) {
      ArrayOfAttribute attrs = new ArrayOfAttribute();
      attrs.getAttribute().add(MktowsClient.attribute("Unsubscribed", "boolean", unsubscribed));
      r.setLeadAttributeList(f.createLeadRecordLeadAttributeList(attrs));
    }
    return r;
  }

  private Map<String, Object> syncLead(LeadRecord record, String workspace) throws Exception {
    ParamsSyncLead p = new ParamsSyncLead();
    p.setLeadRecord(record);
    p.setReturnLead(false);
    MktowsContextHeaderInfo context = null;
    if (workspace != null) {
      context = new MktowsContextHeaderInfo();
      context.setTargetWorkspace(workspace);
    }
    ResultSyncLead r =
        port.syncLead(p, MktowsClient.authentication(userId, key), context).getResult();
    if (r.getLeadId() != r.getSyncStatus().getLeadId())
      throw new IllegalStateException("syncLead: leadId and syncStatus.leadId differ");
    return outcome(r.getSyncStatus());
  }

  private LeadRecord lead(int id) throws Exception {
    ParamsGetLead p = new ParamsGetLead();
    p.setLeadKey(key(LeadKeyRef.IDNUM, String.valueOf(id)));
    ResultGetLead r = port.getLead(p, MktowsClient.authentication(userId, key)).getResult();
    List<LeadRecord> records = MktowsClient.value(r.getLeadRecordList()).getLeadRecord();
    if (r.getCount() != 1 || records.size() != 1)
      throw new IllegalStateException("getLead IDNUM " + id + " returned " + r.getCount() + " leads");
    return records.get(0);
  }

  private String unsubscribed(int id) throws Exception {
    return MktowsClient.attribute(lead(id), "Unsubscribed");
  }

  /** The newest Change Data Value activity of the lead that changed Unsubscribed. */
  private Map<String, Object> unsubscribeChange(int id) throws Exception {
    LeadKey lead = key(LeadKeyRef.IDNUM, String.valueOf(id));
    for (ActivityRecord record : MktowsClient.dataValueChanges(port, userId, key, lead, 100)) {
      Map<String, String> attrs = MktowsClient.attributes(record); // newest first
      if ("Unsubscribed".equals(attrs.get("Attribute Name"))) {
        return map(
            "activityType", record.getActivityType(),
            "oldValue", attrs.get("Old Value"),
            "newValue", attrs.get("New Value"),
            "reason", attrs.get("Reason"));
      }
    }
    return null;
  }

  private Map<String, Object> run() throws Exception {
    Map<String, Object> out =
        map("client", "JAX-WS " + System.getProperty("java.version") + " (wsimport stubs)");

    // 1. A in the default partition; B with a foreign id (so Email does not match A) in East.
    Map<String, Object> a = syncLead(record(null, "ann@example.com", null, null), null);
    Map<String, Object> b =
        syncLead(record(null, "ANN@Example.com ", "interop-jaxws-B", null), "East");
    int A = (Integer) a.get("leadId");
    int B = (Integer) b.get("leadId");
    out.put("step1", map("a", a, "b", b, "unsubscribed", map("a", unsubscribed(A), "b", unsubscribed(B))));

    // 2. Unsubscribe A.
    Map<String, Object> sync = syncLead(record(A, null, null, "true"), null);
    out.put(
        "step2",
        map(
            "sync", sync,
            "unsubscribed", map("a", unsubscribed(A), "b", unsubscribed(B)),
            "change", map("a", unsubscribeChange(A), "b", unsubscribeChange(B))));

    // 3. Delete A (extension operation); create C with the same address, Unsubscribed=false.
    ParamsDeleteLead del = new ParamsDeleteLead();
    del.setLeadKey(key(LeadKeyRef.IDNUM, String.valueOf(A)));
    ResultDeleteLead deleted =
        port.deleteLead(del, MktowsClient.authentication(userId, key)).getResult();
    ParamsSyncMultipleLeads multi = new ParamsSyncMultipleLeads();
    ArrayOfLeadRecord records = new ArrayOfLeadRecord();
    records.getLeadRecord().add(record(null, "ann@example.com", null, "false"));
    multi.setLeadRecordList(records);
    multi.setDedupEnabled(f.createParamsSyncMultipleLeadsDedupEnabled(false));
    List<SyncStatus> statuses =
        port.syncMultipleLeads(multi, MktowsClient.authentication(userId, key))
            .getResult()
            .getSyncStatusList()
            .getSyncStatus();
    if (statuses.size() != 1)
      throw new IllegalStateException("syncMultipleLeads returned " + statuses.size() + " statuses");
    Map<String, Object> c = outcome(statuses.get(0));
    int C = (Integer) c.get("leadId");
    out.put(
        "step3",
        map(
            "deleted",
            map("count", deleted.getCount(), "leadIds", new ArrayList<Object>(deleted.getLeadIdList().getLeadId())),
            "c", c,
            "unsubscribed", map("c", unsubscribed(C)),
            "change", map("c", unsubscribeChange(C))));

    // 4. C to an address never seen, then back.
    Map<String, Object> toCarl = syncLead(record(C, "carl@example.com", null, null), null);
    LeadRecord cLead = lead(C);
    Map<String, Object> step4 =
        map(
            "toCarl",
            map(
                "sync", toCarl,
                "c", MktowsClient.attribute(cLead, "Unsubscribed"),
                "cEmail", MktowsClient.value(cLead.getEmail()),
                "b", unsubscribed(B)));
    Map<String, Object> back = syncLead(record(C, "ann@example.com", null, null), null);
    cLead = lead(C);
    step4.put(
        "back",
        map(
            "sync", back,
            "c", MktowsClient.attribute(cLead, "Unsubscribed"),
            "cEmail", MktowsClient.value(cLead.getEmail())));
    out.put("step4", step4);

    // 5. Re-subscribe B.
    sync = syncLead(record(B, null, null, "false"), null);
    out.put(
        "step5",
        map(
            "sync", sync,
            "unsubscribed", map("b", unsubscribed(B), "c", unsubscribed(C)),
            "change", map("c", unsubscribeChange(C))));

    // 6. Every lead of the address, however it is spelled.
    ParamsGetLead byEmail = new ParamsGetLead();
    byEmail.setLeadKey(key(LeadKeyRef.EMAIL, "Ann@EXAMPLE.com"));
    ResultGetLead found = port.getLead(byEmail, MktowsClient.authentication(userId, key)).getResult();
    List<Object> leads = new ArrayList<>();
    for (LeadRecord r : MktowsClient.value(found.getLeadRecordList()).getLeadRecord()) {
      leads.add(
          map(
              "id", MktowsClient.value(r.getId()),
              "email", MktowsClient.value(r.getEmail()),
              "unsubscribed", MktowsClient.attribute(r, "Unsubscribed")));
    }
    out.put("step6", map("count", found.getCount(), "leads", leads));

    // A fault reaches JAX-WS as a SOAPFaultException.
    ParamsGetLead nobody = new ParamsGetLead();
    nobody.setLeadKey(key(LeadKeyRef.EMAIL, "nobody@example.com"));
    try {
      port.getLead(nobody, MktowsClient.authentication(userId, key));
      throw new IllegalStateException("getLead of an unknown address did not fault");
    } catch (SOAPFaultException e) {
      out.put(
          "fault",
          map(
              "faultcode", e.getFault().getFaultCode(),
              "faultstring", e.getFault().getFaultString(),
              "code", MktowsClient.faultCode(e)));
    }
    return out;
  }

  private static String json(Object v) {
    if (v == null) return "null";
    if (v instanceof Number || v instanceof Boolean) return v.toString();
    if (v instanceof Map) {
      StringBuilder s = new StringBuilder("{");
      for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
        if (s.length() > 1) s.append(',');
        s.append(json(e.getKey())).append(':').append(json(e.getValue()));
      }
      return s.append('}').toString();
    }
    if (v instanceof List) {
      StringBuilder s = new StringBuilder("[");
      for (Object o : (List<?>) v) {
        if (s.length() > 1) s.append(',');
        s.append(json(o));
      }
      return s.append(']').toString();
    }
    StringBuilder s = new StringBuilder("\"");
    for (char ch : v.toString().toCharArray()) {
      if (ch == '"' || ch == '\\') s.append('\\').append(ch);
      else if (ch < 0x20) s.append(String.format("\\u%04x", (int) ch));
      else s.append(ch);
    }
    return s.append('"').toString();
  }

  public static void main(String[] args) {
    if (args.length != 3) {
      System.err.println("usage: java WorkedExample WSDL_URL USER_ID ENCRYPTION_KEY");
      System.exit(2);
    }
    try {
      System.out.println(json(new WorkedExample(args[0], args[1], args[2]).run()));
    } catch (SOAPFaultException e) {
      System.err.println(
          "unexpected SOAP fault: " + e.getFault().getFaultCode() + " " + e.getFault().getFaultString()
              + " (code " + MktowsClient.faultCode(e) + ")");
      System.exit(1);
    } catch (Exception e) {
      System.err.println("worked example failed: " + e);
      e.printStackTrace();
      System.exit(1);
    }
  }
}
