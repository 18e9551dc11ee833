import com.marketo.www.mktows.ActivityRecord;
import com.marketo.www.mktows.Attribute;
import com.marketo.www.mktows.LeadActivityList;
import com.marketo.www.mktows.LeadKey;
import com.marketo.www.mktows.LeadKeyRef;
import com.marketo.www.mktows.LeadRecord;
import com.marketo.www.mktows.MktMktowsApiServiceLocator;
import com.marketo.www.mktows.MktowsPort;
import com.marketo.www.mktows.ParamsGetLead;
import com.marketo.www.mktows.ParamsGetLeadActivity;
import com.marketo.www.mktows.ParamsSyncLead;
import com.marketo.www.mktows.ParamsSyncMultipleLeads;
import com.marketo.www.mktows.ResultGetLead;
import com.marketo.www.mktows.ResultSyncLead;
import com.marketo.www.mktows.StreamPosition;
import com.marketo.www.mktows.SyncStatus;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.text.SimpleDateFormat;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.axis.AxisFault;
import org.apache.axis.client.Stub;
import org.apache.axis.message.SOAPHeaderElement;
import org.w3c.dom.Element;

/**
 * An mktows integration as Java shops of the RPC era wrote it with Apache Axis 1.4: stubs from
 * WSDL2Java on the service's ?WSDL (built by test/interop/axis1.test.ts, never kept), the port
 * from the generated locator, and the headers, which WSDL2Java leaves out of the methods,
 * set on the stub by hand as SOAPHeaderElements.
 *
 *   java Axis1Client ENDPOINT_URL USER_ID ENCRYPTION_KEY
 *
 * Prints one JSON line of what the stubs read (the shape of LegacyRun in
 * test/interop/legacy-toolkits.ts).
 */
public final class Axis1Client {
  private static final String NS = "http://www.marketo.com/mktows/";

  private final MktowsPort port;
  private final String userId;
  private final String key;

  private Axis1Client(MktowsPort port, String userId, String key) {
    this.port = port;
    this.userId = userId;
    this.key = key;
  }

  /** A freshly signed AuthenticationHeader (and any MktowsContextHeader) on the stub. */
  private void headers(String workspace) throws Exception {
    String text = new SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ssZ").format(new Date());
    String timestamp = text.substring(0, 22) + ":" + text.substring(22);
    Mac mac = Mac.getInstance("HmacSHA1");
    mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
    StringBuilder signature = new StringBuilder();
    for (byte b : mac.doFinal((timestamp + userId).getBytes(StandardCharsets.UTF_8))) {
      signature.append(String.format("%02x", b));
    }
    Stub stub = (Stub) port;
    stub.clearHeaders();
    SOAPHeaderElement auth = new SOAPHeaderElement(NS, "AuthenticationHeader");
    auth.addChildElement("mktowsUserId").addTextNode(userId);
    auth.addChildElement("requestSignature").addTextNode(signature.toString());
    auth.addChildElement("requestTimestamp").addTextNode(timestamp);
    stub.setHeader(auth);
    if (workspace != null) {
      SOAPHeaderElement context = new SOAPHeaderElement(NS, "MktowsContextHeader");
      context.addChildElement("targetWorkspace").addTextNode(workspace);
      stub.setHeader(context);
    }
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

  private static String q(String s) {
    if (s == null) return "null";
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }

  private String leads(String email) throws Exception {
    headers(null);
    ResultGetLead r =
        port.getLead(new ParamsGetLead(new LeadKey(LeadKeyRef.EMAIL, email))).getResult();
    TreeMap<Integer, String> byId = new TreeMap<>();
    if (r.getLeadRecordList() != null) {
      for (LeadRecord lead : r.getLeadRecordList()) {
        Map<String, String> a = attributes(lead.getLeadAttributeList());
        byId.put(
            lead.getId(),
            "{\"id\":" + lead.getId() + ",\"email\":" + q(lead.getEmail()) + ",\"unsubscribed\":"
                + q(a.get("Unsubscribed")) + ",\"firstName\":" + q(a.get("FirstName")) + "}");
      }
    }
    return "{\"count\":" + r.getCount() + ",\"leads\":[" + String.join(",", byId.values()) + "]}";
  }

  private LeadActivityList activities(int leadId, int batch, StreamPosition position)
      throws Exception {
    headers(null);
    ParamsGetLeadActivity p = new ParamsGetLeadActivity();
    p.setLeadKey(new LeadKey(LeadKeyRef.IDNUM, String.valueOf(leadId)));
    p.setStartPosition(position);
    p.setBatchSize(batch);
    return port.getLeadActivity(p).getLeadActivityList();
  }

  private static String change(LeadActivityList page) {
    if (page.getActivityRecordList() == null) return "null";
    for (ActivityRecord r : page.getActivityRecordList()) {
      Map<String, String> a = attributes(r.getActivityAttributes());
      if ("Change Data Value".equals(r.getActivityType())
          && "Unsubscribed".equals(a.get("Attribute Name"))) {
        return "{\"oldValue\":" + q(a.get("Old Value")) + ",\"newValue\":" + q(a.get("New Value"))
            + ",\"reason\":" + q(a.get("Reason")) + "}";
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
        types.add(q(r.getActivityType()));
      }
    }
    return "{\"returnCount\":" + p.getReturnCount() + ",\"remainingCount\":" + p.getRemainingCount()
        + ",\"ids\":[" + String.join(",", ids) + "],\"types\":[" + String.join(",", types) + "]}";
  }

  private String run() throws Exception {
    String run = new SimpleDateFormat("HHmmssSSS").format(new Date());
    String ann = "ann." + run + "@example.com";
    String bob = "bob." + run + "@example.com";
    StringBuilder out = new StringBuilder("{\"client\":" + q("Apache Axis " + org.apache.axis.Version.getVersionText().split(" built")[0]));

    // 1. syncMultipleLeads: two people and a record with an attribute nobody has.
    headers(null);
    SyncStatus[] batch =
        port.syncMultipleLeads(
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
      statuses.add("{\"leadId\":" + s.getLeadId() + ",\"status\":" + q(s.getStatus().getValue()) + "}");
    }
    out.append(",\"batch\":[").append(String.join(",", statuses)).append(']');
    int annId = batch[0].getLeadId();

    // 2. syncLead: the same address, other case and spaces, with a foreign id (so that the
    // address does not find Ann) in partition East.
    headers("East");
    LeadRecord eastRecord = record(" " + ann.toUpperCase() + " ", null);
    eastRecord.setForeignSysPersonId("legacy-" + run);
    ResultSyncLead east = port.syncLead(new ParamsSyncLead(eastRecord, false, null)).getResult();
    out.append(",\"east\":{\"leadId\":").append(east.getLeadId()).append(",\"status\":")
        .append(q(east.getSyncStatus().getStatus().getValue())).append('}');

    out.append(",\"before\":").append(leads(ann));

    // 3. syncLead: unsubscribe Ann by her Id, the record returned.
    headers(null);
    ResultSyncLead unsub =
        port.syncLead(new ParamsSyncLead(record(null, annId, "Unsubscribed", "true"), true, null))
            .getResult();
    out.append(",\"unsubscribe\":{\"leadId\":").append(unsub.getLeadId()).append(",\"status\":")
        .append(q(unsub.getSyncStatus().getStatus().getValue())).append(",\"returned\":")
        .append(q(attributes(unsub.getLeadRecord().getLeadAttributeList()).get("Unsubscribed")))
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
    headers(null);
    String fault = "null";
    try {
      port.getLead(new ParamsGetLead(new LeadKey(LeadKeyRef.EMAIL, "nobody." + run + "@example.com")));
    } catch (AxisFault f) {
      String code = null;
      for (Element detail : f.getFaultDetails()) {
        if ("serviceException".equals(detail.getLocalName())) {
          code = detail.getElementsByTagName("code").item(0).getTextContent();
        }
      }
      fault = "{\"faultcode\":" + q(f.getFaultCode().getPrefix() == null || f.getFaultCode().getPrefix().isEmpty()
              ? f.getFaultCode().getLocalPart()
              : f.getFaultCode().getPrefix() + ":" + f.getFaultCode().getLocalPart())
          + ",\"faultstring\":" + q(f.getFaultString()) + ",\"code\":" + q(code) + "}";
    }
    out.append(",\"fault\":").append(fault).append('}');
    return out.toString();
  }

  public static void main(String[] args) throws Exception {
    MktowsPort port = new MktMktowsApiServiceLocator().getMktowsApiSoapPort(new URL(args[0]));
    System.out.println(new Axis1Client(port, args[1], args[2]).run());
  }
}
