import com.marketo.www.mktows.ActivityRecord;
import com.marketo.www.mktows.Attribute;
import com.marketo.www.mktows.LeadActivityList;
import com.marketo.www.mktows.LeadKey;
import com.marketo.www.mktows.LeadKeyRef;
import com.marketo.www.mktows.LeadRecord;
import com.marketo.www.mktows.ParamsGetLead;
import com.marketo.www.mktows.ParamsGetLeadActivity;
import com.marketo.www.mktows.ParamsSyncLead;
import com.marketo.www.mktows.ParamsSyncMultipleLeads;
import com.marketo.www.mktows.ResultGetLead;
import com.marketo.www.mktows.ResultSyncLead;
import com.marketo.www.mktows.StreamPosition;
import com.marketo.www.mktows.SyncStatus;
import java.text.SimpleDateFormat;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.axis.AxisFault;

/**
 * An mktows integration as Java shops of the RPC era wrote it with Apache Axis 1.4: stubs from
 * WSDL2Java on the service's ?WSDL (built by test/interop/axis1.test.ts, never kept), the port
 * from the generated locator, and the headers, which WSDL2Java leaves out of the methods,
 * set on the stub by hand as SOAPHeaderElements (Axis1Session, shared with Axis1Operations).
 *
 *   java Axis1Client ENDPOINT_URL USER_ID ENCRYPTION_KEY
 *
 * Prints one JSON line of what the stubs read (the shape of LegacyRun in
 * test/interop/legacy-toolkits.ts).
 */
public final class Axis1Client {
  private final Axis1Session session;

  private Axis1Client(Axis1Session session) {
    this.session = session;
  }

  private static LeadRecord record(String email, Integer id, String... attrs) {
    LeadRecord r = new LeadRecord();
    r.setEmail(email);
    r.setId(id);
    if (attrs.length > 0) {
      Attribute[] list = new Attribute[attrs.length / 2];
      for (int i = 0; i < list.length; i++) {
        list[i] = new Attribute(attrs[2 * i], null, attrs[2 * i + 1]);
      }
      r.setLeadAttributeList(list);
    }
    return r;
  }

  private static Map<String, String> attributes(Attribute[] list) {
    Map<String, String> out = new LinkedHashMap<>();
    if (list != null) for (Attribute a : list) out.put(a.getAttrName(), a.getAttrValue());
    return out;
  }

  private String leads(String email) throws Exception {
    ResultGetLead r =
        session.signed().getLead(new ParamsGetLead(new LeadKey(LeadKeyRef.EMAIL, email))).getResult();
    TreeMap<Integer, String> byId = new TreeMap<>();
    if (r.getLeadRecordList() != null) {
      for (LeadRecord lead : r.getLeadRecordList()) {
        Map<String, String> a = attributes(lead.getLeadAttributeList());
        byId.put(
            lead.getId(),
            "{\"id\":" + lead.getId() + ",\"email\":" + Json.string(lead.getEmail()) + ",\"unsubscribed\":"
                + Json.string(a.get("Unsubscribed")) + ",\"firstName\":" + Json.string(a.get("FirstName")) + "}");
      }
    }
    return "{\"count\":" + r.getCount() + ",\"leads\":[" + String.join(",", byId.values()) + "]}";
  }

  private LeadActivityList activities(int leadId, int batch, StreamPosition position)
      throws Exception {
    ParamsGetLeadActivity p = new ParamsGetLeadActivity();
    p.setLeadKey(new LeadKey(LeadKeyRef.IDNUM, String.valueOf(leadId)));
    p.setStartPosition(position);
    p.setBatchSize(batch);
    return session.signed().getLeadActivity(p).getLeadActivityList();
  }

  private static String change(LeadActivityList page) {
    if (page.getActivityRecordList() == null) return "null";
    for (ActivityRecord r : page.getActivityRecordList()) {
      Map<String, String> a = attributes(r.getActivityAttributes());
      if ("Change Data Value".equals(r.getActivityType())
          && "Unsubscribed".equals(a.get("Attribute Name"))) {
        return "{\"oldValue\":" + Json.string(a.get("Old Value")) + ",\"newValue\":" + Json.string(a.get("New Value"))
            + ",\"reason\":" + Json.string(a.get("Reason")) + "}";
      }
    }
    return "null";
  }

  private static String page(LeadActivityList p) {
    List<String> ids = new ArrayList<>();
    List<String> types = new ArrayList<>();
    if (p.getActivityRecordList() != null) {
      for (ActivityRecord r : p.getActivityRecordList()) {
        ids.add(String.valueOf(r.getId()));
        types.add(Json.string(r.getActivityType()));
      }
    }
    return "{\"returnCount\":" + p.getReturnCount() + ",\"remainingCount\":" + p.getRemainingCount()
        + ",\"ids\":[" + String.join(",", ids) + "],\"types\":[" + String.join(",", types) + "]}";
  }

  private String run() throws Exception {
    String run = new SimpleDateFormat("HHmmssSSS").format(new Date());
    String ann = "ann." + run + "@example.com";
    String bob = "bob." + run + "@example.com";
    StringBuilder out = new StringBuilder("{\"client\":" + Json.string("Apache Axis " + org.apache.axis.Version.getVersionText().split(" built")[0]));

    // 1. syncMultipleLeads: two people and a record with an attribute nobody has.
    SyncStatus[] batch =
        session.signed().syncMultipleLeads(
                new ParamsSyncMultipleLeads(
                    new LeadRecord[] {
                      record(ann, null, "FirstName", "Ann"),
                      record(bob, null, "FirstName", "Bob"),
                      record("bad." + run + "@example.com", null, "NoSuchField", "x")
                    },
                    Boolean.TRUE))
            .getResult()
            .getSyncStatusList();
    List<String> statuses = new ArrayList<>();
    for (SyncStatus s : batch) {
      statuses.add("{\"leadId\":" + s.getLeadId() + ",\"status\":" + Json.string(s.getStatus().getValue()) + "}");
    }
    out.append(",\"batch\":[").append(String.join(",", statuses)).append(']');
    int annId = batch[0].getLeadId();

    // 2. syncLead: the same address, other case and spaces, with a foreign id (so that the
    // address does not find Ann) in partition East.
    LeadRecord eastRecord = record(" " + ann.toUpperCase() + " ", null);
    eastRecord.setForeignSysPersonId("legacy-" + run);
    ResultSyncLead east = session.signed("East").syncLead(new ParamsSyncLead(eastRecord, false, null)).getResult();
    out.append(",\"east\":{\"leadId\":").append(east.getLeadId()).append(",\"status\":")
        .append(Json.string(east.getSyncStatus().getStatus().getValue())).append('}');

    out.append(",\"before\":").append(leads(ann));

    // 3. syncLead: unsubscribe Ann by her Id, the record returned.
    ResultSyncLead unsub =
        session.signed().syncLead(new ParamsSyncLead(record(null, annId, "Unsubscribed", "true"), true, null))
            .getResult();
    out.append(",\"unsubscribe\":{\"leadId\":").append(unsub.getLeadId()).append(",\"status\":")
        .append(Json.string(unsub.getSyncStatus().getStatus().getValue())).append(",\"returned\":")
        .append(Json.string(attributes(unsub.getLeadRecord().getLeadAttributeList()).get("Unsubscribed")))
        .append('}');

    out.append(",\"after\":").append(leads(ann));
    out.append(",\"bob\":").append(leads(bob));

    // 4. getLeadActivity: each person's Unsubscribed change; Ann's history a page at a time,
    // the stream position passed back as Axis read it (Calendars and all).
    out.append(",\"change\":{\"a\":").append(change(activities(annId, 100, null)))
        .append(",\"east\":").append(change(activities(east.getLeadId(), 100, null))).append('}');
    LeadActivityList first = activities(annId, 1, null);
    LeadActivityList second = activities(annId, 1, first.getNewStartPosition());
    out.append(",\"pages\":[").append(page(first)).append(',').append(page(second)).append(']');

    // 5. A fault: getLead of an address nobody has.
    String fault = "null";
    try {
      session.signed().getLead(new ParamsGetLead(new LeadKey(LeadKeyRef.EMAIL, "nobody." + run + "@example.com")));
    } catch (AxisFault f) {
      fault = "{\"faultcode\":" + Json.string(f.getFaultCode().getPrefix() == null || f.getFaultCode().getPrefix().isEmpty()
              ? f.getFaultCode().getLocalPart()
              : f.getFaultCode().getPrefix() + ":" + f.getFaultCode().getLocalPart())
          + ",\"faultstring\":" + Json.string(f.getFaultString()) + ",\"code\":" + Json.string(Axis1Session.faultCode(f)) + "}";
    }
    out.append(",\"fault\":").append(fault).append('}');
    return out.toString();
  }

  public static void main(String[] args) throws Exception {
    System.out.println(new Axis1Client(new Axis1Session(args[0], args[1], args[2])).run());
  }
}
