package parse

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Zabbix parses what a Zabbix webhook media type posts: a flat JSON object
// of the media type's parameters, each a Zabbix macro the user configured.
// testdata/zabbix_mediatype.yaml is a media type to import: it lists the
// parameters below and a script that posts them to opsdesk.
//
// Parameter names are matched ignoring case and the characters "_", "."
// and "-", so "eventid", "event_id" and "EVENT.ID" are the same parameter.
// A value that is still a macro ("{EVENT.RECOVERY.ID}", which Zabbix
// leaves unexpanded where it does not apply) counts as empty.
//
//	parameter     macro                    use
//	eventid       {EVENT.ID}               required; DedupKey. In recovery and update
//	                                       notifications it is still the problem's id.
//	eventvalue    {EVENT.VALUE}            "1" problem, "0" recovery; required unless
//	eventstatus   {EVENT.STATUS}           "PROBLEM" or "RESOLVED" is given instead
//	eventupdate   {EVENT.UPDATE.STATUS}    "1" for a problem update (acknowledge, comment…)
//	eventack      {EVENT.ACK.STATUS}       "Yes"/"No" (also "1"/"0"); also event_ack
//	updateaction  {EVENT.UPDATE.ACTION}    e.g. "acknowledged, commented", "closed"
//	updatemessage {EVENT.UPDATE.MESSAGE}   appended to Details
//	user          {USER.FULLNAME}          who updated the problem
//	subject       {ALERT.SUBJECT}          Summary
//	message       {ALERT.MESSAGE}          Details
//	eventname     {EVENT.NAME}             Service, and Summary when subject is empty;
//	triggername   {TRIGGER.NAME}           also accepted
//	hostname      {HOST.NAME}              Host; also "host", or hosthost {HOST.HOST}
//	severity      {EVENT.SEVERITY}         Not classified, Information, Warning,
//	                                       Average, High, Disaster
//	nseverity     {EVENT.NSEVERITY}        0–5, used when severity is empty
//	eventdate     {EVENT.DATE}             with eventtime: StartedAt, read in
//	eventtime     {EVENT.TIME}             o.Location (Zabbix sends no zone)
//	eventtags     {EVENT.TAGSJSON}         tags become Labels "tag.<name>"; a tag
//	                                       "system" names the system
//	system        a constant or a user macro such as {$OPSDESK.SYSTEM}
//	triggerid, recoveryid {EVENT.RECOVERY.ID}, opdata {EVENT.OPDATA},
//	triggerurl {TRIGGER.URL}, recoverydate, recoverytime: copied to Labels
//
// Status: eventvalue 0 → resolved. An update whose action includes
// "closed" → resolved; an update or problem notification with eventack Yes
// (or an update action "acknowledged") → acknowledged; anything else →
// firing, so an "unacknowledged" update re-opens the escalation.
//
// Severity: Disaster → critical, High → error, Average and Warning →
// warning, Information and Not classified → info.
//
// Every other parameter is copied to Labels under its own name, except
// ones whose name suggests a credential (token, password, secret…).
func Zabbix(body []byte, o Options) ([]Signal, error) {
	v, err := decodeJSON(body)
	if err != nil {
		return nil, err
	}
	root, err := asObj(v, "")
	if err != nil {
		return nil, err
	}
	pairs, err := objPairs(root, zabbixNorm, "eventtags", "eventtagsjson")
	if err != nil {
		return nil, err
	}
	p, err := collect(pairs, zabbixNorm)
	if err != nil {
		return nil, err
	}

	eventID := oneLine(p.get("eventid"))
	if eventID == "" {
		return nil, fieldErr(p.name("eventid"), "required ({EVENT.ID})")
	}
	problem, err := zabbixValue(p)
	if err != nil {
		return nil, err
	}
	update, err := zabbixBool(p, "eventupdate", "eventupdatestatus")
	if err != nil {
		return nil, err
	}
	ack, err := zabbixBool(p, "eventack", "eventackstatus")
	if err != nil {
		return nil, err
	}
	action := strings.ToLower(p.get("updateaction", "eventupdateaction"))
	var st Status
	switch {
	case !problem:
		st = StatusResolved
	case update && strings.Contains(action, "closed"):
		st = StatusResolved
	case ack || update && hasWord(action, "acknowledged"):
		st = StatusAcknowledged
	default:
		st = StatusFiring
	}

	tags, rawTags := zabbixTags(p.get("eventtags", "eventtagsjson"))
	sys, err := pickSystem(firstNonEmpty(p.get("system", "opsdesksystem"), tags["system"], tags["opsdesk_system"]),
		o, "system", `set parameter "system" (or an event tag "system")`)
	if err != nil {
		return nil, err
	}

	name := p.get("eventname", "triggername")
	summary := firstNonEmpty(p.get("subject", "alertsubject"), name)
	if oneLine(summary) == "" {
		return nil, fieldErr(p.name("subject", "alertsubject"), "required ({ALERT.SUBJECT}), or give eventname ({EVENT.NAME})")
	}
	details := p.get("message", "alertmessage")
	// The update's comment goes into Details unless the message template
	// already quotes it (the usual {EVENT.UPDATE.MESSAGE} in the template).
	if update {
		if m := p.get("updatemessage", "eventupdatemessage"); m != "" && !strings.Contains(multiLine(details), multiLine(m)) {
			by := p.get("user", "userfullname")
			if by != "" {
				m = by + ": " + m
			}
			details = strings.TrimSpace(details + "\n\n" + m)
		}
	}

	sevWord := p.get("severity", "eventseverity", "triggerseverity")
	if sevWord == "" {
		sevWord = zabbixNSeverity[p.get("nseverity", "eventnseverity", "triggernseverity")]
	}
	date, clock := p.get("eventdate"), p.get("eventtime")
	s := Signal{
		Source:   SourceZabbix,
		System:   sys,
		DedupKey: eventID,
		Status:   st,
		Summary:  summary,
		Details:  details,
		Severity: normSeverity(sevWord, st),
		Host:     p.get("hostname", "host", "hosthost"),
		Service:  name,
		StartedAt: plausible(parseTime(strings.TrimSpace(date+" "+clock), o.loc(),
			"2006.01.02 15:04:05", time.RFC3339, time.DateTime)),
		Labels: labels{},
	}
	l := labels(s.Labels)
	// Parameters already in a Signal field are not repeated under their own
	// names; the ones below are copied under fixed label names.
	used := []string{"subject", "alertsubject", "message", "alertmessage", "updatemessage", "eventupdatemessage",
		"eventtags", "eventtagsjson", "system", "opsdesksystem", "eventname", "triggername", "hostname", "host", "hosthost",
		"eventvalue", "eventstatus", "eventupdate", "eventupdatestatus"}
	for _, k := range []struct{ label, from string }{
		{"eventid", "eventid"},
		{"severity", "severity"}, {"severity", "eventseverity"}, {"severity", "triggerseverity"},
		{"nseverity", "nseverity"}, {"nseverity", "eventnseverity"}, {"nseverity", "triggernseverity"},
		{"eventdate", "eventdate"}, {"eventtime", "eventtime"},
		{"ack", "eventack"}, {"ack", "eventackstatus"},
		{"updateaction", "updateaction"}, {"updateaction", "eventupdateaction"},
		{"user", "user"}, {"user", "userfullname"},
		{"triggerid", "triggerid"},
		{"recoveryid", "recoveryid"}, {"recoveryid", "eventrecoveryid"},
		{"recoverydate", "recoverydate"}, {"recoverydate", "eventrecoverydate"},
		{"recoverytime", "recoverytime"}, {"recoverytime", "eventrecoverytime"},
		{"opdata", "opdata"}, {"opdata", "eventopdata"},
		{"triggerurl", "triggerurl"},
	} {
		if _, ok := l[k.label]; !ok {
			l.set(k.label, p[k.from].val)
		}
		used = append(used, k.from)
	}
	if update {
		l.set("updatemessage", p.get("updatemessage", "eventupdatemessage"))
	}
	l.setAll("tag.", tags)
	if tags == nil {
		l.set("eventtags", rawTags)
	}
	rest := map[string]string{}
	for n, q := range p {
		if !slices.Contains(used, n) && !secretish(q.key) {
			rest[q.key] = q.val
		}
	}
	l.setAll("", rest)
	finish(&s)
	return []Signal{s}, nil
}

// zabbixNorm folds a parameter name: "EVENT.ID", "event_id" → "eventid".
func zabbixNorm(k string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(k) {
		switch r {
		case '_', '.', '-', ' ':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

var zabbixNSeverity = map[string]string{
	"0": "Not classified", "1": "Information", "2": "Warning",
	"3": "Average", "4": "High", "5": "Disaster",
}

// zabbixValue reports whether the event is a problem (true) or a recovery.
func zabbixValue(p params) (bool, error) {
	if v := p.get("eventvalue"); v != "" {
		switch v {
		case "1":
			return true, nil
		case "0":
			return false, nil
		}
		return false, fieldErr(p.name("eventvalue"), `must be "1" (problem) or "0" (recovery)`)
	}
	switch strings.ToUpper(p.get("eventstatus")) {
	case "PROBLEM":
		return true, nil
	case "RESOLVED", "OK":
		return false, nil
	case "":
		return false, fieldErr(p.name("eventvalue"), `required ({EVENT.VALUE}: "1" for a problem, "0" for a recovery)`)
	}
	return false, fieldErr(p.name("eventstatus"), `must be "PROBLEM" or "RESOLVED"`)
}

func zabbixBool(p params, names ...string) (bool, error) {
	switch strings.ToLower(p.get(names...)) {
	case "", "0", "no", "false":
		return false, nil
	case "1", "yes", "true":
		return true, nil
	}
	return false, fieldErr(p.name(names...), `must be "1"/"Yes" or "0"/"No"`)
}

// zabbixTags reads {EVENT.TAGSJSON}: [{"tag": "scope", "value": "availability"}].
// A tag given twice keeps both values, comma-separated. When the text is
// not such an array, tags is nil and the text is returned for Labels.
func zabbixTags(s string) (tags map[string]string, raw string) {
	if s == "" {
		return nil, ""
	}
	var list []struct {
		Tag   any `json:"tag"`
		Value any `json:"value"`
	}
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		return nil, s
	}
	tags = map[string]string{}
	for _, t := range list {
		k, ok := t.Tag.(string)
		if !ok || strings.TrimSpace(k) == "" {
			continue
		}
		k = strings.TrimSpace(k)
		v, _ := t.Value.(string)
		v = strings.TrimSpace(v)
		if prev, ok := tags[k]; ok && prev != "" && v != "" && prev != v {
			v = prev + ", " + v
		} else if ok && v == "" {
			v = prev
		}
		tags[k] = v
	}
	return tags, ""
}

// hasWord reports whether the comma-separated list s contains w as a whole
// item ("acknowledged" is not found in "unacknowledged").
func hasWord(s, w string) bool {
	for item := range strings.SplitSeq(s, ",") {
		if strings.TrimSpace(item) == w {
			return true
		}
	}
	return false
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}
