package parse

import (
	"bytes"
	"mime/multipart"
	"testing"
	"time"
)

const formType = "application/x-www-form-urlencoded"

func TestNagios(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		file, contentType string
		want              Signal
	}{
		{"nagios_service_problem.form", formType, Signal{
			Source: "nagios", System: "XYZ", DedupKey: "web01/HTTP", Status: StatusFiring,
			Summary:  "HTTP on web01 is CRITICAL: CRITICAL - Socket timeout after 10 seconds",
			Details:  "CRITICAL - Socket timeout after 10 seconds",
			Severity: "critical", Host: "web01", Service: "HTTP",
			StartedAt: utc(2023, 10, 3, 4, 20, 52, 0), // LASTSERVICESTATECHANGE, not TIMET
			Labels: map[string]string{
				"NOTIFICATIONTYPE": "PROBLEM", "HOSTNAME": "web01", "HOSTALIAS": "web01.example.com",
				"HOSTADDRESS": "10.0.1.21", "SERVICEDESC": "HTTP", "SERVICESTATE": "CRITICAL",
				"LASTSERVICESTATECHANGE": "1696306852", "TIMET": "1696306912",
				"LONGDATETIME": "Tue Oct 3 13:21:52 JST 2023", "SERVICEPROBLEMID": "8812",
				"NOTIFICATIONNUMBER": "1", "SYSTEM": "XYZ",
			},
		}},
		{"nagios_service_recovery.form", formType + "; charset=utf-8", Signal{
			// NAGIOS_-prefixed names, system from the service's _system variable.
			Source: "nagios", System: "XYZ", DedupKey: "web01/HTTP", Status: StatusResolved,
			Summary:  "HTTP on web01 is OK: HTTP OK: HTTP/1.1 200 OK - 5120 bytes in 0.042 second response time",
			Details:  "HTTP OK: HTTP/1.1 200 OK - 5120 bytes in 0.042 second response time",
			Severity: "info", Host: "web01", Service: "HTTP",
			Labels: map[string]string{
				"NOTIFICATIONTYPE": "RECOVERY", "HOSTNAME": "web01", "SERVICEDESC": "HTTP", "SERVICESTATE": "OK",
				"LASTSERVICESTATECHANGE": "1696307512", "TIMET": "1696307512",
				"LONGDATETIME": "Tue Oct 3 13:31:52 JST 2023", "LASTSERVICEPROBLEMID": "8812",
				"_SERVICESYSTEM": "XYZ",
			},
		}},
		{"nagios_service_ack.json", "application/json", Signal{
			Source: "nagios", System: "XYZ", DedupKey: "web01/HTTP", Status: StatusAcknowledged,
			Summary:  "HTTP on web01 is CRITICAL (acknowledged): CRITICAL - Socket timeout after 10 seconds",
			Details:  "CRITICAL - Socket timeout after 10 seconds\n\nAcknowledged by tanaka: Restarting httpd, 5 minutes",
			Severity: "critical", Host: "web01", Service: "HTTP",
			StartedAt: utc(2023, 10, 3, 4, 20, 52, 0),
			Labels: map[string]string{
				"NOTIFICATIONTYPE": "ACKNOWLEDGEMENT", "HOSTNAME": "web01", "SERVICEDESC": "HTTP",
				"SERVICESTATE": "CRITICAL", "NOTIFICATIONAUTHOR": "tanaka",
				"NOTIFICATIONCOMMENT": "Restarting httpd, 5 minutes", "LASTSERVICESTATECHANGE": "1696306852",
				"TIMET": "1696307100", "SYSTEM": "XYZ",
			},
		}},
		{"nagios_host_problem.json", "application/json", Signal{
			// SERVICEDESC arrives unexpanded ($SERVICEDESC$): a host notification.
			// No LASTHOSTSTATECHANGE, so TIMET is the start.
			Source: "nagios", System: "XYZ", DedupKey: "db01", Status: StatusFiring,
			Summary:  "db01 is DOWN: PING CRITICAL - Packet loss = 100%",
			Details:  "PING CRITICAL - Packet loss = 100%\neth0: no carrier\nlast seen 13:18:40",
			Severity: "critical", Host: "db01",
			StartedAt: utc(2023, 10, 3, 4, 22, 0, 0),
			Labels: map[string]string{
				"NOTIFICATIONTYPE": "PROBLEM", "HOSTNAME": "db01", "HOSTADDRESS": "10.0.2.11",
				"HOSTSTATE": "DOWN", "TIMET": "1696306920", "LONGDATETIME": "Tue Oct 3 04:22:00 UTC 2023",
				"_HOSTSYSTEM": "XYZ",
			},
		}},
		{"nagios_host_recovery.form", "", Signal{
			// Lower-case names, no Content-Type: sniffed as a form.
			Source: "nagios", System: "XYZ", DedupKey: "db01", Status: StatusResolved,
			Summary:  "db01 is UP: PING OK - Packet loss = 0%, RTA = 0.41 ms",
			Details:  "PING OK - Packet loss = 0%, RTA = 0.41 ms",
			Severity: "info", Host: "db01",
			Labels: map[string]string{
				"NOTIFICATIONTYPE": "RECOVERY", "HOSTNAME": "db01", "HOSTSTATE": "UP",
				"TIMET": "1696307400", "SYSTEM": "XYZ", "CONTACTNAME": "oncall-xyz",
			},
		}},
		{"nagios_host_ack.json", "text/plain", Signal{
			Source: "nagios", System: "XYZ", DedupKey: "db01", Status: StatusAcknowledged,
			Summary:  "db01 is DOWN (acknowledged): PING CRITICAL - Packet loss = 100%",
			Details:  "PING CRITICAL - Packet loss = 100%\n\nAcknowledged by sato: Datacenter hands replacing the NIC",
			Severity: "critical", Host: "db01",
			StartedAt: utc(2023, 10, 3, 4, 21, 40, 0),
			Labels: map[string]string{
				"NOTIFICATIONTYPE": "ACKNOWLEDGEMENT", "HOSTNAME": "db01", "HOSTSTATE": "DOWN",
				"NOTIFICATIONAUTHOR": "sato", "NOTIFICATIONCOMMENT": "Datacenter hands replacing the NIC",
				"LASTHOSTSTATECHANGE": "1696306900", "SYSTEM": "XYZ",
			},
		}},
	} {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			got, err := Nagios(readTestdata(t, c.file), c.contentType, Options{Location: jst, DefaultSystem: "unused"})
			if err != nil {
				t.Fatal(err)
			}
			checkSignals(t, got, []Signal{c.want})
		})
	}
}

func TestNagiosMultipart(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, kv := range [][2]string{
		{"NOTIFICATIONTYPE", "PROBLEM"}, {"HOSTNAME", "lb1"}, {"SERVICEDESC", "HAProxy backends"},
		{"SERVICESTATE", "WARNING"}, {"SERVICEOUTPUT", "WARNING - 1 of 4 backends down"},
		{"LONGSERVICEOUTPUT", "app3: DOWN\napp1..app2, app4: UP"}, {"TIMET", "1714554000"},
	} {
		if err := w.WriteField(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	got, err := Nagios(buf.Bytes(), w.FormDataContentType(), Options{DefaultSystem: "Edge"})
	if err != nil {
		t.Fatal(err)
	}
	checkSignals(t, got, []Signal{{
		Source: "nagios", System: "Edge", DedupKey: "lb1/HAProxy backends", Status: StatusFiring,
		Summary:  "HAProxy backends on lb1 is WARNING: WARNING - 1 of 4 backends down",
		Details:  "WARNING - 1 of 4 backends down\napp3: DOWN\napp1..app2, app4: UP",
		Severity: "warning", Host: "lb1", Service: "HAProxy backends",
		StartedAt: utc(2024, 5, 1, 9, 0, 0, 0),
		Labels: map[string]string{"NOTIFICATIONTYPE": "PROBLEM", "HOSTNAME": "lb1", "SERVICEDESC": "HAProxy backends",
			"SERVICESTATE": "WARNING", "TIMET": "1714554000"},
	}})
}

func TestNagiosIgnored(t *testing.T) {
	t.Parallel()
	var reasons []string
	o := Options{DefaultSystem: "S", OnIgnore: func(r string) { reasons = append(reasons, r) }}
	got, err := Nagios(readTestdata(t, "nagios_flappingstart.form"), formType, o)
	if err != nil || got != nil {
		t.Fatalf("got %#v, %v; want nothing", got, err)
	}
	for _, typ := range []string{"DOWNTIMESTART", "DOWNTIMEEND", "DOWNTIMECANCELLED", "FLAPPINGDISABLED", "CUSTOM"} {
		got, err := Nagios([]byte("NOTIFICATIONTYPE="+typ+"&HOSTNAME=h"), formType, o)
		if err != nil || got != nil {
			t.Errorf("%s: got %#v, %v; want nothing", typ, got, err)
		}
	}
	got, err = Nagios([]byte("NOTIFICATIONTYPE=FLAPPINGSTOP&HOSTNAME=h&SERVICEDESC=s&SERVICESTATE=CRITICAL"), formType, o)
	if err != nil || got != nil {
		t.Errorf("FLAPPINGSTOP while CRITICAL: got %#v, %v; want nothing", got, err)
	}
	want := []string{
		"Nagios FLAPPINGSTART notifications are not escalated; only PROBLEM, RECOVERY and ACKNOWLEDGEMENT are",
		"Nagios DOWNTIMESTART notifications are not escalated; only PROBLEM, RECOVERY and ACKNOWLEDGEMENT are",
		"Nagios DOWNTIMEEND notifications are not escalated; only PROBLEM, RECOVERY and ACKNOWLEDGEMENT are",
		"Nagios DOWNTIMECANCELLED notifications are not escalated; only PROBLEM, RECOVERY and ACKNOWLEDGEMENT are",
		"Nagios FLAPPINGDISABLED notifications are not escalated; only PROBLEM, RECOVERY and ACKNOWLEDGEMENT are",
		"Nagios CUSTOM notifications are not escalated; only PROBLEM, RECOVERY and ACKNOWLEDGEMENT are",
		"Nagios FLAPPINGSTOP in state CRITICAL is not escalated; the next PROBLEM or RECOVERY notification reports the state",
	}
	if len(reasons) != len(want) {
		t.Fatalf("reasons = %q, want %q", reasons, want)
	}
	for i := range want {
		if reasons[i] != want[i] {
			t.Errorf("reason %d = %q, want %q", i, reasons[i], want[i])
		}
	}

	// Flapping stopped in an OK state: the service is fine, say so.
	got, err = Nagios([]byte("NOTIFICATIONTYPE=FLAPPINGSTOP&HOSTNAME=h&SERVICEDESC=s&SERVICESTATE=OK"), formType, o)
	if err != nil || len(got) != 1 || got[0].Status != StatusResolved || got[0].DedupKey != "h/s" {
		t.Errorf("FLAPPINGSTOP while OK: got %#v, %v; want one resolve of h/s", got, err)
	}
}

func TestNagiosLongDateTime(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want time.Time
	}{
		{"Tue Oct 3 13:21:52 JST 2023", utc(2023, 10, 3, 4, 21, 52, 0)}, // read in Options.Location (JST)
		{"Tue Oct 3 04:21:52 UTC 2023", utc(2023, 10, 3, 4, 21, 52, 0)},
		{"Tue Oct  3 04:21:52 GMT 2023", utc(2023, 10, 3, 4, 21, 52, 0)},
		{"Tue Oct 3 13:21:52 +0900 2023", utc(2023, 10, 3, 4, 21, 52, 0)},
		{"Tue Oct 3 13:21:52 2023", time.Time{}},
		{"garbage", time.Time{}},
	} {
		got := nagiosLongDate(c.in, jst)
		if !got.Equal(c.want) {
			t.Errorf("nagiosLongDate(%q) = %v, want %v", c.in, got, c.want)
		}
	}
	// Only LONGDATETIME given: it is the start of a PROBLEM.
	got, err := Nagios([]byte("NOTIFICATIONTYPE=PROBLEM&HOSTNAME=h&HOSTSTATE=DOWN&LONGDATETIME=Tue+Oct+3+13:21:52+JST+2023"), formType,
		Options{DefaultSystem: "S", Location: jst})
	if err != nil {
		t.Fatal(err)
	}
	if want := utc(2023, 10, 3, 4, 21, 52, 0); !got[0].StartedAt.Equal(want) {
		t.Errorf("StartedAt = %v, want %v", got[0].StartedAt, want)
	}
}

func TestNagiosErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, body, contentType, field, msg string
	}{
		{"empty", "", formType, "", "is empty"},
		{"bad form", "NOTIFICATIONTYPE=%zz", formType, "", "not a valid form"},
		{"bad JSON", `{"NOTIFICATIONTYPE":`, "application/json", "", "not valid JSON"},
		{"unsupported type", "<xml/>", "application/xml", "", "Content-Type application/xml"},
		{"unreadable type", "a=b", "multipart/form-data; boundary", "", "cannot be read"},
		{"multipart without boundary", "a=b", "multipart/form-data", "", "without a boundary"},
		{"type missing", "HOSTNAME=h&SYSTEM=S", formType, "NOTIFICATIONTYPE", "required"},
		{"type missing, prefixed", "NAGIOS_NOTIFICATIONTYPE=&HOSTNAME=h", formType, "NAGIOS_NOTIFICATIONTYPE", "required"},
		{"type unknown", "NOTIFICATIONTYPE=BROKEN&HOSTNAME=h&SYSTEM=S", formType, "NOTIFICATIONTYPE", "must be PROBLEM, RECOVERY or ACKNOWLEDGEMENT"},
		{"host missing", "NOTIFICATIONTYPE=PROBLEM&SYSTEM=S", formType, "HOSTNAME", "required"},
		{"host unexpanded", `{"notificationtype":"PROBLEM","hostname":"$HOSTNAME$","system":"S"}`, "application/json", "hostname", "required"},
		{"no system", "NOTIFICATIONTYPE=PROBLEM&HOSTNAME=h", formType, "SYSTEM", "no system given; set SYSTEM"},
		{"invalid UTF-8 value", "NOTIFICATIONTYPE=PROBLEM&HOSTNAME=%ff&SYSTEM=S", formType, "HOSTNAME", "not valid UTF-8"},
		{"nested JSON", `{"NOTIFICATIONTYPE":"PROBLEM","HOSTNAME":["h"]}`, "application/json", "HOSTNAME", "must be a string"},
		{"disagreeing duplicates", "NOTIFICATIONTYPE=PROBLEM&HOSTNAME=a&NAGIOS_HOSTNAME=b&SYSTEM=S", formType, "NAGIOS_HOSTNAME", "disagrees with HOSTNAME"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := Nagios([]byte(c.body), c.contentType, Options{})
			wantFieldError(t, got, err, c.field, c.msg)
		})
	}
}

// Agreeing duplicates are fine; an empty value never overrides a set one.
func TestNagiosDuplicateNames(t *testing.T) {
	t.Parallel()
	got, err := Nagios([]byte("NOTIFICATIONTYPE=PROBLEM&HOSTNAME=h&NAGIOS_HOSTNAME=h&hostname=&SYSTEM=S"), formType, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Host != "h" {
		t.Errorf("Host = %q, want h", got[0].Host)
	}
}

// A command written after the seed article: no $NOTIFICATIONTYPE$, the
// seed's lower-case "systemname". The state tells a problem from a
// recovery, and the summary is built from service, host, state and output.
func TestNagiosAsConfigured(t *testing.T) {
	t.Parallel()
	got, err := Nagios(readTestdata(t, "nagios_seed_style.form"), formType, Options{Location: jst, DefaultSystem: "unused"})
	if err != nil {
		t.Fatal(err)
	}
	checkSignals(t, got, []Signal{{
		Source: "nagios", System: "XYZ", DedupKey: "app01/CPU Utilization", Status: StatusFiring,
		Summary:  "CPU Utilization on app01 is CRITICAL: CRITICAL - load average: 12.1, 11.8, 10.9",
		Details:  "CRITICAL - load average: 12.1, 11.8, 10.9",
		Severity: "critical", Host: "app01", Service: "CPU Utilization",
		StartedAt: utc(2023, 10, 3, 4, 20, 52, 0),
		Labels: map[string]string{"HOSTNAME": "app01", "SERVICEDESC": "CPU Utilization", "SERVICESTATE": "CRITICAL",
			"LASTSERVICESTATECHANGE": "1696306852", "SYSTEMNAME": "XYZ"},
	}})
}

// Without NOTIFICATIONTYPE the state decides; without either the request
// is refused naming what is missing.
func TestNagiosWithoutNotificationType(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		body string
		want Status
	}{
		{"HOSTNAME=h&SERVICEDESC=s&SERVICESTATE=CRITICAL", StatusFiring},
		{"HOSTNAME=h&SERVICEDESC=s&SERVICESTATE=WARNING", StatusFiring},
		{"HOSTNAME=h&SERVICEDESC=s&SERVICESTATE=unknown", StatusFiring},
		{"HOSTNAME=h&SERVICEDESC=s&SERVICESTATE=OK", StatusResolved},
		{"HOSTNAME=h&HOSTSTATE=DOWN", StatusFiring},
		{"HOSTNAME=h&HOSTSTATE=UNREACHABLE", StatusFiring},
		{"HOSTNAME=h&HOSTSTATE=UP", StatusResolved},
		{"NOTIFICATIONTYPE=ACKNOWLEDGEMENT&HOSTNAME=h&HOSTSTATE=DOWN", StatusAcknowledged}, // given: it wins
	} {
		got, err := Nagios([]byte(c.body+"&SYSTEM=S"), formType, Options{})
		if err != nil {
			t.Errorf("%s: %v", c.body, err)
			continue
		}
		if got[0].Status != c.want {
			t.Errorf("%s: Status = %q, want %q", c.body, got[0].Status, c.want)
		}
	}
	for _, c := range []struct{ body, field, msg string }{
		{"HOSTNAME=h&SERVICEDESC=s&SYSTEM=S", "NOTIFICATIONTYPE", "required ($NOTIFICATIONTYPE$), or give SERVICESTATE ($SERVICESTATE$) to tell a problem from a recovery"},
		{"HOSTNAME=h&SYSTEM=S", "NOTIFICATIONTYPE", "required ($NOTIFICATIONTYPE$), or give HOSTSTATE ($HOSTSTATE$)"},
		{"HOSTNAME=h&SERVICEDESC=s&servicestate=BROKEN&SYSTEM=S", "NOTIFICATIONTYPE", `required ($NOTIFICATIONTYPE$): servicestate "BROKEN" is not a Nagios state`},
		// A service's state is SERVICESTATE; the host's does not stand in.
		{"HOSTNAME=h&SERVICEDESC=s&HOSTSTATE=DOWN&SYSTEM=S", "NOTIFICATIONTYPE", "or give SERVICESTATE"},
		{"SERVICEDESC=s&SERVICESTATE=CRITICAL&SYSTEM=S", "HOSTNAME", "required ($HOSTNAME$); nothing names the host (HOSTNAME, HOSTDISPLAYNAME, HOSTALIAS or HOSTADDRESS)"},
	} {
		got, err := Nagios([]byte(c.body), formType, Options{})
		wantFieldError(t, got, err, c.field, c.msg)
	}
}

// The host is named by HOSTNAME, else the display name, alias or address;
// SUBJECT, when the command words one, is the summary.
func TestNagiosHostAndSubject(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ body, host, key, summary string }{
		{"HOSTALIAS=web01.example.com&SERVICEDESC=HTTP&SERVICESTATE=CRITICAL", "web01.example.com", "web01.example.com/HTTP", "HTTP on web01.example.com is CRITICAL"},
		{"HOSTADDRESS=10.0.1.21&HOSTSTATE=DOWN&HOSTOUTPUT=PING+CRITICAL", "10.0.1.21", "10.0.1.21", "10.0.1.21 is DOWN: PING CRITICAL"},
		{"HOSTNAME=web01&HOSTADDRESS=10.0.1.21&HOSTSTATE=DOWN", "web01", "web01", "web01 is DOWN"},
		{"HOSTDISPLAYNAME=Web+01&HOSTALIAS=w1&HOSTSTATE=DOWN", "Web 01", "Web 01", "Web 01 is DOWN"},
		{"HOSTNAME=web01&SERVICEDESC=HTTP&SERVICESTATE=CRITICAL&SUBJECT=**+PROBLEM+Service+Alert%3A+web01%2FHTTP+is+CRITICAL+**", "web01", "web01/HTTP",
			"** PROBLEM Service Alert: web01/HTTP is CRITICAL **"},
		{"HOSTNAME=web01&HOSTSTATE=DOWN&SUBJECT=%24NOTIFICATIONSUBJECT%24", "web01", "web01", "web01 is DOWN"},
	} {
		got, err := Nagios([]byte(c.body+"&SYSTEM=S"), formType, Options{})
		if err != nil {
			t.Errorf("%s: %v", c.body, err)
			continue
		}
		if s := got[0]; s.Host != c.host || s.DedupKey != c.key || s.Summary != c.summary {
			t.Errorf("%s: Host %q, DedupKey %q, Summary %q; want %q, %q, %q", c.body, s.Host, s.DedupKey, s.Summary, c.host, c.key, c.summary)
		}
		if _, ok := got[0].Labels["SUBJECT"]; ok {
			t.Errorf("%s: SUBJECT copied to Labels", c.body)
		}
	}
}

// SYSTEMNAME (the seed's name) is an alias of SYSTEM, and _systemname of
// the _system custom variable; aliases that disagree are refused naming
// both; the explicit parameter wins over the custom variables, the
// service's over the host's.
func TestNagiosSystemname(t *testing.T) {
	t.Parallel()
	const base = "NOTIFICATIONTYPE=PROBLEM&HOSTNAME=h&SERVICEDESC=s&SERVICESTATE=CRITICAL&"
	for _, c := range []struct{ params, want string }{
		{"systemname=XYZ", "XYZ"},
		{"NAGIOS_SYSTEMNAME=XYZ", "XYZ"},
		{"SYSTEM=XYZ&SYSTEMNAME=XYZ&OPSDESK_SYSTEM=XYZ", "XYZ"},
		{"SYSTEM=XYZ&SYSTEMNAME=%24_SERVICESYSTEMNAME%24", "XYZ"},
		{"_SERVICESYSTEMNAME=Svc&_HOSTSYSTEMNAME=Host", "Svc"},
		{"_HOSTSYSTEMNAME=Host", "Host"},
		{"SYSTEMNAME=XYZ&_SERVICESYSTEM=Svc", "XYZ"},
		{"", "FromURL"},
	} {
		got, err := Nagios([]byte(base+c.params), formType, Options{DefaultSystem: "FromURL"})
		if err != nil {
			t.Errorf("%s: %v", c.params, err)
			continue
		}
		if got[0].System != c.want {
			t.Errorf("%s: System = %q, want %q", c.params, got[0].System, c.want)
		}
	}
	for _, c := range []struct{ params, field, msg string }{
		{"SYSTEM=XYZ&systemname=Billing", "systemname", `is "Billing" but SYSTEM is "XYZ"; they name the same thing, give one of them`},
		{"SYSTEMNAME=Billing&OPSDESK_SYSTEM=XYZ", "OPSDESK_SYSTEM", `is "XYZ" but SYSTEMNAME is "Billing"`},
		{"_SERVICESYSTEM=A&_SERVICESYSTEMNAME=B", "_SERVICESYSTEMNAME", `is "B" but _SERVICESYSTEM is "A"`},
	} {
		got, err := Nagios([]byte(base+c.params), formType, Options{DefaultSystem: "FromURL"})
		wantFieldError(t, got, err, c.field, c.msg)
	}
	// JSON bodies too.
	got, err := Nagios([]byte(`{"NOTIFICATIONTYPE":"PROBLEM","HOSTNAME":"h","HOSTSTATE":"DOWN","systemname":"XYZ"}`), "application/json", Options{})
	if err != nil || got[0].System != "XYZ" {
		t.Errorf("JSON systemname: %+v %v", got, err)
	}
}
