import com.marketo.mktows.ActivityRecord;
import com.marketo.mktows.ActivityType;
import com.marketo.mktows.ActivityTypeFilter;
import com.marketo.mktows.ArrayOfActivityType;
import com.marketo.mktows.ArrayOfString;
import com.marketo.mktows.Attribute;
import com.marketo.mktows.LeadKey;
import com.marketo.mktows.LeadKeyRef;
import com.marketo.mktows.LeadKeySelector;
import com.marketo.mktows.LeadRecord;
import com.marketo.mktows.MktowsPort;
import com.marketo.mktows.ObjectFactory;
import com.marketo.mktows.ParamsGetLeadActivity;
import com.marketo.mktows.ParamsGetLeadChanges;
import com.marketo.mktows.ParamsGetMultipleLeads;
import com.marketo.mktows.ParamsSyncLead;
import com.marketo.mktows.StreamPosition;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.concurrent.Callable;
import javax.xml.datatype.DatatypeFactory;

/**
 * Answers that hold no record, read as code written against the vendor's answers reads a list:
 * {@code getLeadRecordList().getValue().getLeadRecord()}, no null check on the way. The vendor
 * wrote an empty list as an empty element, which JAXB reads as a list of none; a nil one it
 * reads as a null value. Likewise a New Lead's empty {@code mktgAssetName} (read as a string),
 * and its {@code Created Date}, a day ({@code LocalDate.parse}).
 *
 * <pre>
 *   java EmptyLists WSDL_URL USER_ID ENCRYPTION_KEY
 * </pre>
 *
 * Prints one line "name: size" per list or string (or "name: NullPointerException"), then
 * "Created Date: " and whether it is the day of the activity's date.
 */
public final class EmptyLists {
  private final MktowsPort port;
  private final String userId;
  private final String key;
  private final ObjectFactory f = new ObjectFactory();

  private EmptyLists(String wsdlUrl, String userId, String key) throws Exception {
    this.port = MktowsClient.connect(wsdlUrl);
    this.userId = userId;
    this.key = key;
  }

  private com.marketo.mktows.AuthenticationHeaderInfo auth() throws Exception {
    return MktowsClient.authentication(userId, key);
  }

  private static void print(String name, Callable<Integer> size) throws Exception {
    String read;
    try {
      read = String.valueOf(size.call());
    } catch (NullPointerException e) {
      read = "NullPointerException";
    }
    System.out.println(name + ": " + read);
  }

  private ParamsGetMultipleLeads byEmail(String email) {
    ParamsGetMultipleLeads params = new ParamsGetMultipleLeads();
    LeadKeySelector selector = new LeadKeySelector();
    selector.setKeyType(LeadKeyRef.EMAIL);
    ArrayOfString values = new ArrayOfString();
    values.getStringItem().add(email);
    selector.setKeyValues(values);
    params.setLeadSelector(f.createParamsGetMultipleLeadsLeadSelector(selector));
    return params;
  }

  private void run() throws Exception {
    String run = Long.toString(System.nanoTime(), 36);
    String email = "jx-empty-" + run + "@example.com";
    ParamsSyncLead sync = new ParamsSyncLead();
    LeadRecord record = new LeadRecord();
    record.setEmail(f.createLeadRecordEmail(email));
    sync.setLeadRecord(record);
    sync.setReturnLead(false);
    int id = port.syncLead(sync, auth(), null).getResult().getLeadId();

    ParamsGetMultipleLeads nobody = byEmail("nobody-" + run + "@example.com");
    print(
        "getMultipleLeads",
        () ->
            port.getMultipleLeads(nobody, auth())
                .getResult()
                .getLeadRecordList()
                .getValue()
                .getLeadRecord()
                .size());

    // A field the person has no value for: its record lists no attribute.
    ParamsGetMultipleLeads firstName = byEmail(email);
    ArrayOfString include = new ArrayOfString();
    include.getStringItem().add("FirstName");
    firstName.setIncludeAttributes(f.createParamsGetMultipleLeadsIncludeAttributes(include));
    print(
        "leadAttributeList",
        () ->
            port.getMultipleLeads(firstName, auth())
                .getResult()
                .getLeadRecordList()
                .getValue()
                .getLeadRecord()
                .get(0)
                .getLeadAttributeList()
                .getValue()
                .getAttribute()
                .size());

    ParamsGetLeadActivity visits = new ParamsGetLeadActivity();
    LeadKey leadKey = new LeadKey();
    leadKey.setKeyType(LeadKeyRef.IDNUM);
    leadKey.setKeyValue(String.valueOf(id));
    visits.setLeadKey(leadKey);
    ActivityTypeFilter filter = new ActivityTypeFilter();
    ArrayOfActivityType types = new ArrayOfActivityType();
    types.getActivityType().add(ActivityType.VISIT_WEBPAGE);
    filter.setIncludeTypes(types);
    visits.setActivityFilter(f.createParamsGetLeadActivityActivityFilter(filter));
    print(
        "getLeadActivity",
        () ->
            port.getLeadActivity(visits, auth())
                .getLeadActivityList()
                .getActivityRecordList()
                .getValue()
                .getActivityRecord()
                .size());

    // The person's New Lead, its members read as the vendor wrote them.
    ParamsGetLeadActivity all = new ParamsGetLeadActivity();
    all.setLeadKey(leadKey);
    ActivityRecord created =
        port.getLeadActivity(all, auth())
            .getLeadActivityList()
            .getActivityRecordList()
            .getValue()
            .getActivityRecord()
            .get(0);
    print("mktgAssetName", () -> created.getMktgAssetName().getValue().length());
    String day = "";
    for (Attribute a : created.getActivityAttributes().getValue().getAttribute())
      if (a.getAttrName().equals("Created Date")) day = a.getAttrValue();
    String read;
    try {
      String activityDay = created.getActivityDateTime().toXMLFormat().substring(0, 10);
      read = LocalDate.parse(day).toString().equals(activityDay) ? "the activity's day" : day;
    } catch (DateTimeParseException e) {
      read = "DateTimeParseException";
    }
    System.out.println("Created Date: " + read);

    ParamsGetLeadChanges later = new ParamsGetLeadChanges();
    StreamPosition start = new StreamPosition();
    start.setOldestCreatedAt(
        f.createStreamPositionOldestCreatedAt(
            DatatypeFactory.newInstance().newXMLGregorianCalendar("2999-01-01T00:00:00Z")));
    later.setStartPosition(start);
    print(
        "getLeadChanges",
        () ->
            port.getLeadChanges(later, auth())
                .getResult()
                .getLeadChangeRecordList()
                .getValue()
                .getLeadChangeRecord()
                .size());
  }

  public static void main(String[] args) throws Exception {
    new EmptyLists(args[0], args[1], args[2]).run();
  }
}
