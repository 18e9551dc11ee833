import com.marketo.www.mktows.Attribute;
import com.marketo.www.mktows.LastUpdateAtSelector;
import com.marketo.www.mktows.LeadKey;
import com.marketo.www.mktows.LeadChangeRecord;
import com.marketo.www.mktows.LeadKeyRef;
import com.marketo.www.mktows.LeadKeySelector;
import com.marketo.www.mktows.LeadRecord;
import com.marketo.www.mktows.MObjFieldMetadata;
import com.marketo.www.mktows.MObjectMetadata;
import com.marketo.www.mktows.MergeStatus;
import com.marketo.www.mktows.ParamsDeleteLead;
import com.marketo.www.mktows.ParamsDescribeMObject;
import com.marketo.www.mktows.ParamsGetLeadChanges;
import com.marketo.www.mktows.ParamsGetMultipleLeads;
import com.marketo.www.mktows.ParamsListMObjects;
import com.marketo.www.mktows.ParamsMergeLeads;
import com.marketo.www.mktows.ParamsRequestCampaign;
import com.marketo.www.mktows.ReqCampSourceType;
import com.marketo.www.mktows.ResultDeleteLead;
import com.marketo.www.mktows.ParamsSyncMultipleLeads;
import com.marketo.www.mktows.ResultGetLeadChanges;
import com.marketo.www.mktows.ResultGetMultipleLeads;
import com.marketo.www.mktows.StaticListSelector;
import com.marketo.www.mktows.StreamPosition;
import com.marketo.www.mktows.SyncStatus;
import java.text.SimpleDateFormat;
import java.util.ArrayList;
import java.util.Calendar;
import java.util.Date;
import java.util.List;
import org.apache.axis.AxisFault;

/**
 * The operations Axis1Client leaves out, as an Axis 1.4 (WSDL2Java) integration calls them
 * (the port and its signed headers from Axis1Session):
 * getMultipleLeads by keys and by update date (the derived selectors the stubs write with
 * xsi:type, streamPosition passed back), getLeadChanges paged by the newStartPosition Axis read,
 * a StaticListSelector, mergeLeads, deleteLead, requestCampaign (not served), describeMObject
 * and listMObjects. Axis 1 deserializes
 * strictly: an element its type does not declare, or one out of place, fails the call.
 *
 *   java Axis1Operations ENDPOINT_URL USER_ID ENCRYPTION_KEY
 *
 * Prints one JSON line of what the stubs read (test/interop/axis1.test.ts checks it).
 */
public final class Axis1Operations {
  private final Axis1Session session;

  private Axis1Operations(Axis1Session session) {
    this.session = session;
  }

  /** Ids of one getMultipleLeads page, and what it says of the rest. */
  private static String page(ResultGetMultipleLeads r) {
    List<String> ids = new ArrayList<>();
    if (r.getLeadRecordList() != null) {
      for (LeadRecord lead : r.getLeadRecordList()) ids.add(String.valueOf(lead.getId()));
    }
    return "{\"returnCount\":" + r.getReturnCount() + ",\"remainingCount\":" + r.getRemainingCount()
        + ",\"position\":" + (r.getNewStreamPosition() == null || r.getNewStreamPosition().isEmpty() ? "false" : "true")
        + ",\"ids\":[" + String.join(",", ids) + "]}";
  }

  private String run() throws Exception {
    String run = new SimpleDateFormat("HHmmssSSS").format(new Date());
    Calendar since = Calendar.getInstance();
    since.add(Calendar.MINUTE, -1);
    String[] emails = new String[3];
    LeadRecord[] records = new LeadRecord[3];
    for (int i = 0; i < 3; i++) {
      emails[i] = "axis-ops-" + (i + 1) + "-" + run + "@example.com";
      records[i] = new LeadRecord();
      records[i].setEmail(emails[i]);
    }
    SyncStatus[] batch =
        session.signed().syncMultipleLeads(new ParamsSyncMultipleLeads(records, Boolean.TRUE))
            .getResult()
            .getSyncStatusList();
    List<String> ids = new ArrayList<>();
    for (SyncStatus s : batch) ids.add(String.valueOf(s.getLeadId()));
    StringBuilder out = new StringBuilder("{\"ids\":[" + String.join(",", ids) + "]");

    // getMultipleLeads by keys, two a page, the position passed back until none is left.
    List<String> pages = new ArrayList<>();
    String position = null;
    do {
      ResultGetMultipleLeads r =
          session.signed().getMultipleLeads(
                  new ParamsGetMultipleLeads(
                      new LeadKeySelector(LeadKeyRef.EMAIL, emails), null, position, 2, null))
              .getResult();
      pages.add(page(r));
      position = r.getNewStreamPosition();
    } while (position != null && !position.isEmpty() && pages.size() < 5);
    out.append(",\"byKeys\":[").append(String.join(",", pages)).append(']');

    // getMultipleLeads by update date, FirstName alone asked for.
    ResultGetMultipleLeads updated =
        session.signed().getMultipleLeads(
                new ParamsGetMultipleLeads(
                    new LastUpdateAtSelector(null, since), null, null, 100, new String[] {"Email"}))
            .getResult();
    out.append(",\"byUpdate\":").append(page(updated));

    // A static list: none is kept here.
    String staticList = "null";
    try {
      session.signed().getMultipleLeads(
          new ParamsGetMultipleLeads(new StaticListSelector("Program.List", null), null, null, null, null));
    } catch (AxisFault f) {
      staticList = Json.string(Axis1Session.faultCode(f));
    }
    out.append(",\"staticList\":").append(staticList);

    // getLeadChanges since a minute ago, a page of one at a time, the position passed back.
    List<String> changes = new ArrayList<>();
    StreamPosition start = new StreamPosition(null, since, null, null);
    for (int n = 0; n < 50; n++) {
      ResultGetLeadChanges r =
          session.signed().getLeadChanges(new ParamsGetLeadChanges(start, null, null, 1, null)).getResult();
      if (r.getLeadChangeRecordList() != null) {
        for (LeadChangeRecord c : r.getLeadChangeRecordList()) {
          changes.add("[" + c.getId() + "," + Json.string(c.getMktPersonId()) + "," + Json.string(c.getActivityType()) + "]");
        }
      }
      if (r.getRemainingCount() == 0) break;
      start = r.getNewStartPosition();
    }
    out.append(",\"changes\":[").append(String.join(",", changes)).append(']');

    // mergeLeads: the second person to win over the third. Axis 1.4 writes the first losing key
    // list's attributes under the outer item name (<keyList><keyList><attrName>…), its nested
    // array quirk: the service reads them as the list's attributes.
    String merge;
    try {
      MergeStatus merged =
          session.signed().mergeLeads(
                  new ParamsMergeLeads(
                      new Attribute[] {new Attribute("IDNUM", null, ids.get(1))},
                      new Attribute[][] {{new Attribute("EMAIL", null, emails[2])}},
                      null))
              .getResult()
              .getMergeStatus();
      List<String> losing = new ArrayList<>();
      if (merged.getLosingLeadIdList() != null)
        for (int id : merged.getLosingLeadIdList()) losing.add(String.valueOf(id));
      merge = "{\"status\":" + Json.string(merged.getStatus().getValue()) + ",\"winningLeadId\":"
          + merged.getWinningLeadId() + ",\"losingLeadIdList\":[" + String.join(",", losing) + "]}";
    } catch (AxisFault f) {
      merge = "{\"fault\":" + Json.string(Axis1Session.faultCode(f)) + "}";
    }
    out.append(",\"merge\":").append(merge);

    // deleteLead: the first person by id; then the merged-away third by address, a fault.
    ResultDeleteLead deleted =
        session.signed().deleteLead(new ParamsDeleteLead(new LeadKey(LeadKeyRef.IDNUM, ids.get(0)))).getResult();
    List<String> deletedIds = new ArrayList<>();
    if (deleted.getLeadIdList() != null) for (int id : deleted.getLeadIdList()) deletedIds.add(String.valueOf(id));
    String gone = "null";
    try {
      session.signed().deleteLead(new ParamsDeleteLead(new LeadKey(LeadKeyRef.EMAIL, emails[2])));
    } catch (AxisFault f) {
      gone = Json.string(Axis1Session.faultCode(f));
    }
    out.append(",\"delete\":{\"count\":").append(deleted.getCount()).append(",\"leadIdList\":[")
        .append(String.join(",", deletedIds)).append("],\"again\":").append(gone).append('}');

    // requestCampaign (its one required member, source, set), an operation the WSDL declares
    // and the service does not serve.
    String unserved = "null";
    try {
      ParamsRequestCampaign campaign = new ParamsRequestCampaign();
      campaign.setSource(ReqCampSourceType.MKTOWS);
      campaign.setCampaignId(1);
      campaign.setLeadList(new LeadKey[] {new LeadKey(LeadKeyRef.IDNUM, ids.get(1))});
      session.signed().requestCampaign(campaign);
    } catch (AxisFault f) {
      unserved = Json.string(Axis1Session.faultCode(f));
    }
    out.append(",\"unserved\":").append(unserved);

    // describeMObject of each object listMObjects names.
    String[] objects = session.signed().listMObjects(new ParamsListMObjects()).getResult();
    List<String> described = new ArrayList<>();
    for (String name : objects) {
      MObjectMetadata m = session.signed().describeMObject(new ParamsDescribeMObject(name)).getResult().getMetadata();
      List<String> fields = new ArrayList<>();
      for (MObjFieldMetadata f : m.getFieldList()) fields.add(Json.string(f.getName()));
      described.add("{\"name\":" + Json.string(m.getName()) + ",\"fields\":[" + String.join(",", fields) + "]}");
    }
    out.append(",\"described\":[").append(String.join(",", described)).append("]}");
    return out.toString();
  }

  public static void main(String[] args) throws Exception {
    System.out.println(new Axis1Operations(new Axis1Session(args[0], args[1], args[2])).run());
  }
}
