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
