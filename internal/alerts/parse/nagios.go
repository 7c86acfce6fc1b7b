package parse

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"strings"
	"time"
)

// Nagios parses what a Nagios (or Icinga 1, Naemon) notification command
// posts: the notification macros as an HTML form
// (application/x-www-form-urlencoded or multipart/form-data) or as a flat
// JSON object. contentType is the request's Content-Type; when it is empty
// or text/plain the body is sniffed (JSON if it starts with "{").
// testdata/nagios_commands.cfg shows the command definitions.
//
// Names are matched case-insensitively, with or without the NAGIOS_ prefix
// that Nagios gives the environment variables ("HOSTNAME", "hostname" and
// "NAGIOS_HOSTNAME" are the same). A value still spelled as a macro
// ("$SERVICEDESC$") counts as empty.
//
//	NOTIFICATIONTYPE       PROBLEM → firing, RECOVERY → resolved,
//	                       ACKNOWLEDGEMENT → acknowledged, FLAPPINGSTOP while
//	                       the state is OK/UP → resolved. FLAPPINGSTART,
//	                       FLAPPINGSTOP in a problem state, FLAPPINGDISABLED,
//	                       DOWNTIMESTART, DOWNTIMEEND, DOWNTIMECANCELLED and
//	                       CUSTOM yield no signal (o.OnIgnore hears why):
//	                       Nagios reports the underlying state with
//	                       PROBLEM/RECOVERY, and a downtime is not a page.
//	                       When it is not given, the state decides: OK and
//	                       UP → RECOVERY, WARNING, CRITICAL, UNKNOWN, DOWN and
//	                       UNREACHABLE → PROBLEM; without a state either
//	                       the request is refused.
//	HOSTNAME               Host; else HOSTDISPLAYNAME, HOSTALIAS or
//	                       HOSTADDRESS; one of them is required
//	SERVICEDESC            Service; when empty this is a host notification
//	SUBJECT                optional: the Summary as the command words it;
//	                       otherwise it is built from the service, host,
//	                       state and output ("HTTP on web01 is CRITICAL: …")
//	SERVICESTATE/HOSTSTATE CRITICAL, WARNING, UNKNOWN, OK / DOWN, UNREACHABLE,
//	                       UP: Severity (CRITICAL and DOWN → critical,
//	                       UNKNOWN and UNREACHABLE → error)
//	SERVICEOUTPUT/HOSTOUTPUT, LONGSERVICEOUTPUT/LONGHOSTOUTPUT: Summary, Details
//	NOTIFICATIONAUTHOR, NOTIFICATIONCOMMENT: appended to Details
//	LASTSERVICESTATECHANGE/LASTHOSTSTATECHANGE, TIMET (Unix seconds),
//	LONGDATETIME           StartedAt, in that order of preference (TIMET and
//	                       LONGDATETIME are the notification's time, so they
//	                       are used for PROBLEM only)
//	SYSTEM, SYSTEMNAME (the seed's name), OPSDESK_SYSTEM: System; they may
//	                       all be given if they agree, different values are
//	                       refused. Else _SERVICESYSTEM, _HOSTSYSTEM (the
//	                       custom variable "_system" on a service or host;
//	                       "_systemname" is read too), else o.DefaultSystem
//
// DedupKey is HOSTNAME + "/" + SERVICEDESC, or HOSTNAME for a host. Every
// other macro is copied to Labels under its name without the prefix, except
// ones whose name suggests a credential.
func Nagios(body []byte, contentType string, o Options) ([]Signal, error) {
	pairs, err := nagiosPairs(body, contentType)
	if err != nil {
		return nil, err
	}
	p, err := collect(pairs, nagiosNorm)
	if err != nil {
		return nil, err
	}

	host := oneLine(p.get("HOSTNAME", "HOSTDISPLAYNAME", "HOSTALIAS", "HOSTADDRESS"))
	service := oneLine(p.get("SERVICEDESC"))
	isService := service != ""
	stateKey := "HOSTSTATE"
	if isService {
		stateKey = "SERVICESTATE"
	}
	state := strings.ToUpper(p.get(stateKey))
	typ := strings.ToUpper(p.get("NOTIFICATIONTYPE"))
	if typ == "" {
		// A command that sends no $NOTIFICATIONTYPE$ (an event handler, a
		// hand-written script) still says the state, which tells a
		// problem from a recovery.
		switch state {
		case "OK", "UP":
			typ = "RECOVERY"
		case "WARNING", "CRITICAL", "UNKNOWN", "DOWN", "UNREACHABLE":
			typ = "PROBLEM"
		case "":
			return nil, fieldErr(p.name("NOTIFICATIONTYPE"), "required ($NOTIFICATIONTYPE$), or give %s ($%s$) to tell a problem from a recovery", stateKey, stateKey)
		default:
			return nil, fieldErr(p.name("NOTIFICATIONTYPE"), "required ($NOTIFICATIONTYPE$): %s %q is not a Nagios state", p.name(stateKey), cutChars(oneLine(state), 40))
		}
	}
	var st Status
	switch typ {
	case "PROBLEM":
		st = StatusFiring
	case "RECOVERY":
		st = StatusResolved
	case "ACKNOWLEDGEMENT":
		st = StatusAcknowledged
	case "FLAPPINGSTOP":
		if state != "OK" && state != "UP" {
			o.ignore("Nagios FLAPPINGSTOP in state " + orUnknown(state) + " is not escalated; the next PROBLEM or RECOVERY notification reports the state")
			return nil, nil
		}
		st = StatusResolved
	case "FLAPPINGSTART", "FLAPPINGDISABLED", "DOWNTIMESTART", "DOWNTIMEEND", "DOWNTIMECANCELLED", "CUSTOM":
		o.ignore("Nagios " + typ + " notifications are not escalated; only PROBLEM, RECOVERY and ACKNOWLEDGEMENT are")
		return nil, nil
	default:
		return nil, fieldErr(p.name("NOTIFICATIONTYPE"), "must be PROBLEM, RECOVERY or ACKNOWLEDGEMENT (or a flapping/downtime type, which is ignored)")
	}
	if host == "" {
		return nil, fieldErr(p.name("HOSTNAME"), "required ($HOSTNAME$); nothing names the host (HOSTNAME, HOSTDISPLAYNAME, HOSTALIAS or HOSTADDRESS)")
	}
	var given string
	for _, aliases := range [][]string{
		{"SYSTEM", "SYSTEMNAME", "OPSDESK_SYSTEM"},
		{"_SERVICESYSTEM", "_SERVICESYSTEMNAME"},
		{"_HOSTSYSTEM", "_HOSTSYSTEMNAME"},
	} {
		v, err := p.agree(aliases...)
		if err != nil {
			return nil, err
		}
		if given == "" {
			given = v
		}
	}
	sys, err := pickSystem(given, o, "SYSTEM",
		`set SYSTEM or SYSTEMNAME (or the custom variable _system on the host or service)`)
	if err != nil {
		return nil, err
	}

	output, long := p.get("HOSTOUTPUT"), p.get("LONGHOSTOUTPUT")
	what, dedup := host, host
	if isService {
		output, long = p.get("SERVICEOUTPUT"), p.get("LONGSERVICEOUTPUT")
		what, dedup = service+" on "+host, host+"/"+service
	}
	summary := oneLine(p.get("SUBJECT"))
	if summary == "" {
		summary = what
		if state != "" {
			summary += " is " + state
		}
		if st == StatusAcknowledged {
			summary += " (acknowledged)"
		}
		if l := oneLine(output); l != "" {
			summary += ": " + l
		}
	}
	// Long output arrives with literal "\n" sequences from Nagios 3 and
	// real newlines from Nagios 4; show both as lines.
	details := strings.TrimSpace(output + "\n" + strings.ReplaceAll(long, `\n`, "\n"))
	if st == StatusAcknowledged {
		ackLine := "Acknowledged"
		if a := p.get("NOTIFICATIONAUTHOR"); a != "" {
			ackLine += " by " + a
		}
		if c := p.get("NOTIFICATIONCOMMENT"); c != "" {
			ackLine += ": " + c
		}
		details = strings.TrimSpace(details + "\n\n" + ackLine)
	}

	changeKey := "LASTHOSTSTATECHANGE"
	if isService {
		changeKey = "LASTSERVICESTATECHANGE"
	}
	var started time.Time
	switch st {
	case StatusFiring:
		started = unixTime(p.get(changeKey))
		if started.IsZero() {
			started = unixTime(p.get("TIMET"))
		}
		if started.IsZero() {
			started = nagiosLongDate(p.get("LONGDATETIME"), o.loc())
		}
	case StatusAcknowledged:
		started = unixTime(p.get(changeKey))
	}

	s := Signal{
		Source:    SourceNagios,
		System:    sys,
		DedupKey:  dedup,
		Status:    st,
		Summary:   summary,
		Details:   details,
		Severity:  normSeverity(state, st),
		Host:      host,
		Service:   service,
		StartedAt: plausible(started),
		Labels:    labels{},
	}
	l := labels(s.Labels)
	rest := map[string]string{}
	for n, q := range p {
		switch n {
		case "HOSTOUTPUT", "SERVICEOUTPUT", "LONGHOSTOUTPUT", "LONGSERVICEOUTPUT", "SUBJECT":
			continue // in Summary and Details
		}
		if !secretish(n) {
			rest[n] = q.val
		}
	}
	l.setAll("", rest)
	finish(&s)
	return []Signal{s}, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "(not given)"
	}
	return s
}

// nagiosNorm folds a macro name: "nagios_hostname" → "HOSTNAME".
func nagiosNorm(k string) string {
	k = strings.ToUpper(strings.TrimSpace(k))
	k = strings.TrimPrefix(k, "NAGIOS_")
	return strings.Trim(k, "$")
}

// nagiosLongDate reads $LONGDATETIME$ ("Tue Oct 3 13:20:52 JST 2023").
// Go cannot map most zone abbreviations to offsets, so only UTC/GMT or a
// numeric offset is believed; any other abbreviation is read in loc.
func nagiosLongDate(s string, loc *time.Location) time.Time {
	f := strings.Fields(s)
	if len(f) != 6 {
		return time.Time{}
	}
	zone := f[4]
	rest := strings.Join(append(f[:4:4], f[5]), " ")
	const layout = "Mon Jan 2 15:04:05 2006"
	switch {
	case zone == "UTC" || zone == "GMT" || zone == "Z":
		return parseTime(rest, time.UTC, layout)
	case len(zone) == 5 && (zone[0] == '+' || zone[0] == '-'):
		return parseTime(strings.Join(f, " "), time.UTC, "Mon Jan 2 15:04:05 -0700 2006")
	}
	return parseTime(rest, loc, layout)
}

// nagiosPairs decodes the body by its content type.
func nagiosPairs(body []byte, contentType string) ([]param, error) {
	if err := checkBody(body); err != nil {
		return nil, err
	}
	mt, mp, err := mime.ParseMediaType(contentType)
	if contentType == "" || err == nil && mt == "text/plain" {
		mt = "application/x-www-form-urlencoded"
		if bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
			mt = "application/json"
		}
	} else if err != nil {
		return nil, &FieldError{Msg: "has a Content-Type that cannot be read: " + err.Error()}
	}
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		v, err := decodeJSON(body)
		if err != nil {
			return nil, err
		}
		root, err := asObj(v, "")
		if err != nil {
			return nil, err
		}
		return objPairs(root, nagiosNorm)
	case mt == "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, &FieldError{Msg: "is not a valid form: " + err.Error()}
		}
		pairs := make([]param, 0, len(vals))
		for k, vs := range vals {
			pairs = append(pairs, param{key: k, val: vs[0]})
		}
		return pairs, nil
	case mt == "multipart/form-data":
		return multipartPairs(body, mp["boundary"])
	}
	return nil, &FieldError{Msg: "has Content-Type " + mt + "; send application/x-www-form-urlencoded, multipart/form-data or application/json"}
}

// multipartPairs reads the fields of a multipart form (curl -F). Each field
// is read up to MaxDetails bytes; at most 1000 fields.
func multipartPairs(body []byte, boundary string) ([]param, error) {
	if boundary == "" {
		return nil, &FieldError{Msg: "is multipart/form-data without a boundary"}
	}
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	var pairs []param
	for {
		part, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &FieldError{Msg: "is not a valid multipart form: " + err.Error()}
		}
		if len(pairs) >= 1000 {
			return nil, &FieldError{Msg: "has more than 1000 form fields"}
		}
		name := part.FormName()
		b, err := io.ReadAll(io.LimitReader(part, MaxDetails+1))
		if err != nil {
			return nil, &FieldError{Msg: "is not a valid multipart form: " + err.Error()}
		}
		if name == "" {
			continue
		}
		pairs = append(pairs, param{key: name, val: string(b)})
	}
	return pairs, nil
}
