package parse

import (
	"encoding/json"
	"maps"
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
//	subject       {ALERT.SUBJECT}          Summary (see below when it is empty)
//	message       {ALERT.MESSAGE}          Details
//	eventname     {EVENT.NAME}             Service, and the Summary when subject is empty;
//	triggername   {TRIGGER.NAME}           also accepted
//	triggerdescription {TRIGGER.DESCRIPTION} (also "description"): the Summary when
//	                                       there is no subject and no name; Details
//	                                       when message is empty
//	hostname      {HOST.NAME}              Host; also "host", or hosthost {HOST.HOST}
//	severity      {EVENT.SEVERITY}         Not classified, Information, Warning,
//	                                       Average, High, Disaster
//	nseverity     {EVENT.NSEVERITY}        0–5, used when severity is empty
//	eventdate     {EVENT.DATE}             with eventtime: StartedAt, read in
//	eventtime     {EVENT.TIME}             o.Location (Zabbix sends no zone)
//	eventtags     {EVENT.TAGSJSON} or      tags become Labels "tag.<name>", tags
//	              {EVENT.TAGS}             without a value are listed in Labels["tags"];
//	                                       a tag "system" names the system. Also
//	                                       eventtagsjson or tags. See zabbixTags.
//	system        a constant or a user macro such as {$OPSDESK.SYSTEM};
//	systemname    the seed's name for it. Both may be given when they agree;
//	                                       different values are refused.
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
// Summary: subject; when it is empty, what names the problem — the event
// or trigger name, else the first line of the trigger description, else the
// first line of message — followed by " on <host>" unless the text already
// names the host; with only a host, "Zabbix event <id> on <host>". A
// problem that nothing names is refused (a phone call must say what is
// wrong); a recovery or update needs only eventid, since it ends or
// updates an alert that was named when it opened.
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
	pairs, err := objPairs(root, zabbixNorm, zabbixTagParams...)
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

	tags, rawTags := zabbixTags(p, zabbixTagParams...)
	given, err := p.agree("system", "systemname", "opsdesksystem")
	if err != nil {
		return nil, err
	}
	sys, err := pickSystem(firstNonEmpty(given, tags["system"], tags["systemname"], tags["opsdesk_system"]),
		o, "system", `set parameter "system" or "systemname" (or an event tag "system")`)
	if err != nil {
		return nil, err
	}

	name := p.get("eventname", "triggername")
	host := p.get("hostname", "host", "hosthost")
	description := p.get("triggerdescription", "description")
	details := p.get("message", "alertmessage")
	summary := p.get("subject", "alertsubject")
	if oneLine(summary) == "" {
		if summary = zabbixSummary(eventID, name, description, details, host, st); summary == "" {
			return nil, fieldErr(p.name("subject", "alertsubject"), "nothing names the problem: give subject ({ALERT.SUBJECT}), "+
				"eventname ({EVENT.NAME}), triggerdescription ({TRIGGER.DESCRIPTION}), message ({ALERT.MESSAGE}) or hostname ({HOST.NAME})")
		}
	}
	if oneLine(details) == "" {
		details, description = description, ""
	}
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
		Host:     host,
		Service:  name,
		StartedAt: plausible(parseTime(strings.TrimSpace(date+" "+clock), o.loc(),
			"2006.01.02 15:04:05", time.RFC3339, time.DateTime)),
		Labels: labels{},
	}
	l := labels(s.Labels)
	// Parameters already in a Signal field are not repeated under their own
	// names; the ones below are copied under fixed label names.
	used := []string{"subject", "alertsubject", "message", "alertmessage", "updatemessage", "eventupdatemessage",
		"system", "systemname", "opsdesksystem", "eventname", "triggername", "hostname", "host", "hosthost",
		"triggerdescription", "description", "eventvalue", "eventstatus", "eventupdate", "eventupdatestatus"}
	used = append(used, zabbixTagParams...)
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
	l.set("description", description) // when message is set; else it is Details
	l.setAll("tag.", tags)
	var bare []string // tags without a value are listed by name
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if tags[k] == "" {
			bare = append(bare, k)
		}
	}
	l.set("tags", strings.Join(bare, ", "))
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

// zabbixTagParams are the parameters that may carry the event's tags, in
// the order they are looked at.
var zabbixTagParams = []string{"eventtagsjson", "eventtags", "tags"}

// zabbixTags reads the event's tags from the first of names that holds
// them, in either of the two forms Zabbix renders:
//
//   - {EVENT.TAGSJSON}: [{"tag": "scope", "value": "availability"}, …]
//     (a JSON object of tag → value is read too; text that starts like
//     JSON but is not one of these is kept as it is in Labels["eventtags"]);
//   - {EVENT.TAGS}: "tag:value, tag2:value2, tag3" — Zabbix joins the tags,
//     sorted, with ", " and writes ":value" only for a tag that has a
//     value. The first ':' ends the name, so a value may hold ':' (a URL);
//     a value that holds ", " cannot be told from the next tag, which is
//     what {EVENT.TAGSJSON} is for.
//
// A tag given twice keeps both values, comma-separated; a tag without a
// value maps to "". When the text is JSON of another shape, tags is nil
// and the text is returned for Labels.
func zabbixTags(p params, names ...string) (tags map[string]string, raw string) {
	for _, n := range names {
		s := p[n].val
		if s == "" {
			continue
		}
		if t := strings.TrimSpace(s); strings.HasPrefix(t, "[") || strings.HasPrefix(t, "{") {
			// JSON, or meant to be: broken JSON is kept as text rather
			// than read as tags named `[{"tag"`.
			var v any
			if json.Unmarshal([]byte(t), &v) == nil {
				if tags, ok := zabbixJSONTags(v); ok {
					return tags, ""
				}
			}
			return nil, s
		}
		return zabbixTagString(s), ""
	}
	return nil, ""
}

// zabbixJSONTags reads [{"tag","value"}…] or {"tag": "value"…}; ok is false
// for any other JSON.
func zabbixJSONTags(v any) (map[string]string, bool) {
	tags := map[string]string{}
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, false
			}
			k, _ := m["tag"].(string)
			val, _ := m["value"].(string)
			addTag(tags, k, val)
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(t)) {
			val, _ := t[k].(string)
			addTag(tags, k, val)
		}
	default:
		return nil, false
	}
	return tags, true
}

// zabbixTagString reads the rendered {EVENT.TAGS}.
func zabbixTagString(s string) map[string]string {
	tags := map[string]string{}
	for item := range strings.SplitSeq(s, ", ") {
		k, v, _ := strings.Cut(item, ":")
		addTag(tags, k, v)
	}
	return tags
}

func addTag(tags map[string]string, k, v string) {
	k, v = strings.TrimSpace(k), strings.TrimSpace(v)
	if k == "" {
		return
	}
	prev, ok := tags[k]
	switch {
	case !ok || prev == "":
	case v == "" || prev == v || slices.Contains(strings.Split(prev, ", "), v):
		v = prev
	default:
		v = prev + ", " + v
	}
	tags[k] = v
}

// zabbixSummary builds a Summary for a payload without a subject from what
// names the problem; "" when nothing does and the event opens a problem.
func zabbixSummary(eventID, name, description, message, host string, st Status) string {
	what := oneLine(firstNonEmpty(name, firstLine(description), firstLine(message)))
	host = oneLine(host)
	switch {
	case what != "" && host != "" && !strings.Contains(what, host):
		return what + " on " + host
	case what != "":
		return what
	case host != "":
		return "Zabbix event " + eventID + " on " + host
	case st != StatusFiring:
		return "Zabbix event " + eventID
	}
	return ""
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
