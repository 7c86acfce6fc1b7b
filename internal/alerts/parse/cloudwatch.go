package parse

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// cwTime is the layout of CloudWatch's own timestamps
// ("2019-10-02T17:04:40.985+0000"); RFC 3339 is accepted too.
const cwTime = "2006-01-02T15:04:05.000-0700"

// CloudWatch parses the Message of an SNS notification published by a
// CloudWatch alarm. The caller verifies the SNS envelope and passes only
// its Message string (itself JSON).
//
// Keys read:
//
//	AlarmName          required; Summary (with the first line of
//	                   AlarmDescription), Labels["alarmName"]
//	NewStateValue      required: ALARM → firing, OK → resolved,
//	                   INSUFFICIENT_DATA → no signal and no error (o.OnIgnore hears why)
//	AlarmArn           DedupKey; region code and account come from it. Old
//	                   messages without it use AWSAccountId/Region/AlarmName.
//	AlarmDescription   Details (in full, may be null)
//	NewStateReason     Details
//	StateChangeTime    StartedAt for ALARM ("2019-10-02T17:04:40.985+0000")
//	AWSAccountId, Region (a display name such as "Asia Pacific (Tokyo)"),
//	OldStateValue      Labels
//	Trigger            MetricName → Service (else the alarm name), Namespace,
//	                   Dimensions [{"name","value"}] → Labels "dimension.<name>";
//	                   Host is the first of InstanceId, DBInstanceIdentifier, …
//	                   (see hostDimensions), else the first dimension
//	AlarmTags          present when the alarm propagates its tags: tag
//	                   "system" → System, tag "severity" → Severity, all
//	                   tags → Labels "tag.<key>"
//
// System is the "system" tag, else o.DefaultSystem. CloudWatch alarms carry
// no severity; without a "severity" tag an ALARM is critical.
func CloudWatch(body []byte, o Options) ([]Signal, error) {
	v, err := decodeJSON(body)
	if err != nil {
		return nil, err
	}
	m, err := asObj(v, "")
	if err != nil {
		return nil, err
	}
	var f [9]string
	for i, k := range []string{"AlarmName", "NewStateValue", "AlarmArn", "AlarmDescription", "NewStateReason",
		"StateChangeTime", "AWSAccountId", "Region", "OldStateValue"} {
		if f[i], err = m.str(k); err != nil {
			return nil, err
		}
	}
	a := cwAlarm{
		name: f[0], state: f[1], arn: f[2], description: f[3], reason: f[4],
		changed: f[5], account: f[6], regionName: f[7], oldState: f[8],
	}
	if a.name == "" {
		return nil, fieldErr("AlarmName", "required")
	}
	if a.state == "" {
		return nil, fieldErr("NewStateValue", "required")
	}
	trig, err := m.sub("Trigger")
	if err != nil {
		return nil, err
	}
	if a.metric, err = trig.str("MetricName"); err != nil {
		return nil, err
	}
	if a.namespace, err = trig.str("Namespace"); err != nil {
		return nil, err
	}
	dims, err := trig.list("Dimensions")
	if err != nil {
		return nil, err
	}
	for i, d := range dims {
		do, err := asObj(d, index(trig.field("Dimensions"), i))
		if err != nil {
			return nil, err
		}
		name, err := do.str("name")
		if err != nil {
			return nil, err
		}
		value, err := do.str("value")
		if err != nil {
			return nil, err
		}
		if name != "" {
			a.dims = append(a.dims, [2]string{name, value})
		}
	}
	if a.tags, err = m.strMap("AlarmTags"); err != nil {
		return nil, err
	}
	return a.signals(o, "NewStateValue")
}

// CloudWatchEvent parses the EventBridge event CloudWatch sends when an
// alarm changes state: the whole event, envelope included.
//
// Keys read:
//
//	source             must be "aws.cloudwatch"
//	detail-type        must be "CloudWatch Alarm State Change"
//	account, region    Labels; region is a code such as "us-east-1"
//	resources[0]       the alarm ARN: DedupKey (else account/region/alarmName)
//	id, time           Labels "eventId", "eventTime"
//	detail.alarmName   required
//	detail.state       value (required: ALARM → firing, OK → resolved,
//	                   INSUFFICIENT_DATA → ignored), reason → Details,
//	                   timestamp → StartedAt for ALARM
//	detail.previousState value → Labels["oldState"]; timestamp → StartedAt of
//	                   a resolve when the previous state was ALARM
//	detail.configuration description → Details; metrics[]: the first with
//	                   metricStat gives namespace, name and dimensions
//	detail.alarmTags   as AlarmTags in CloudWatch
//
// The same alarm yields the same DedupKey whether it arrives by SNS or
// EventBridge, since both carry its ARN.
func CloudWatchEvent(event []byte, o Options) ([]Signal, error) {
	v, err := decodeJSON(event)
	if err != nil {
		return nil, err
	}
	m, err := asObj(v, "")
	if err != nil {
		return nil, err
	}
	src, err := m.str("source")
	if err != nil {
		return nil, err
	}
	if src != "aws.cloudwatch" {
		return nil, fieldErr("source", `must be "aws.cloudwatch"`)
	}
	dt, err := m.str("detail-type")
	if err != nil {
		return nil, err
	}
	if dt != "CloudWatch Alarm State Change" {
		return nil, fieldErr("detail-type", `must be "CloudWatch Alarm State Change"`)
	}
	var a cwAlarm
	var env [4]string
	for i, k := range []string{"account", "region", "id", "time"} {
		if env[i], err = m.str(k); err != nil {
			return nil, err
		}
	}
	a.account, a.region, a.eventID, a.eventTime = env[0], env[1], env[2], env[3]
	res, err := m.list("resources")
	if err != nil {
		return nil, err
	}
	if len(res) > 0 {
		if a.arn, err = scalar(res[0], "resources[0]"); err != nil {
			return nil, err
		}
		a.arn = strings.TrimSpace(a.arn)
	}
	if !m.has("detail") {
		return nil, fieldErr("detail", "required")
	}
	d, err := m.sub("detail")
	if err != nil {
		return nil, err
	}
	if a.name, err = d.str("alarmName"); err != nil {
		return nil, err
	}
	if a.name == "" {
		return nil, fieldErr(d.field("alarmName"), "required")
	}
	state, err := d.sub("state")
	if err != nil {
		return nil, err
	}
	for _, x := range []struct {
		dst *string
		key string
	}{{&a.state, "value"}, {&a.reason, "reason"}, {&a.changed, "timestamp"}} {
		if *x.dst, err = state.str(x.key); err != nil {
			return nil, err
		}
	}
	if a.state == "" {
		return nil, fieldErr(state.field("value"), "required")
	}
	prev, err := d.sub("previousState")
	if err != nil {
		return nil, err
	}
	if a.oldState, err = prev.str("value"); err != nil {
		return nil, err
	}
	if a.prevChanged, err = prev.str("timestamp"); err != nil {
		return nil, err
	}
	conf, err := d.sub("configuration")
	if err != nil {
		return nil, err
	}
	if a.description, err = conf.str("description"); err != nil {
		return nil, err
	}
	metrics, err := conf.list("metrics")
	if err != nil {
		return nil, err
	}
	for i, x := range metrics {
		mo, err := asObj(x, index(conf.field("metrics"), i))
		if err != nil {
			return nil, err
		}
		if !mo.has("metricStat") {
			continue
		}
		ms, err := mo.sub("metricStat")
		if err != nil {
			return nil, err
		}
		metric, err := ms.sub("metric")
		if err != nil {
			return nil, err
		}
		if a.metric, err = metric.str("name"); err != nil {
			return nil, err
		}
		if a.namespace, err = metric.str("namespace"); err != nil {
			return nil, err
		}
		dims, err := metric.strMap("dimensions")
		if err != nil {
			return nil, err
		}
		for _, k := range slices.Sorted(maps.Keys(dims)) {
			a.dims = append(a.dims, [2]string{k, dims[k]})
		}
		break
	}
	if a.tags, err = d.strMap("alarmTags"); err != nil {
		return nil, err
	}
	return a.signals(o, d.field("state.value"))
}

// cwAlarm is what both CloudWatch shapes say about an alarm.
type cwAlarm struct {
	name, state, arn, description, reason string
	changed, prevChanged                  string
	account, region, regionName, oldState string
	metric, namespace                     string
	dims                                  [][2]string
	tags                                  map[string]string
	eventID, eventTime                    string
}

// hostDimensions are the dimensions that name the resource an alarm is
// about, most specific first.
var hostDimensions = []string{
	"InstanceId", "DBInstanceIdentifier", "DBClusterIdentifier", "CacheClusterId",
	"LoadBalancer", "LoadBalancerName", "TargetGroup", "FunctionName", "QueueName",
	"TableName", "ClusterName", "ServiceName", "AutoScalingGroupName", "DomainName",
	"BucketName", "ApiName", "StateMachineArn", "TopicName",
}

func (a cwAlarm) signals(o Options, stateField string) ([]Signal, error) {
	var st Status
	switch strings.ToUpper(a.state) {
	case "ALARM":
		st = StatusFiring
	case "OK":
		st = StatusResolved
	case "INSUFFICIENT_DATA":
		o.ignore("CloudWatch alarm " + oneLine(a.name) + " went to INSUFFICIENT_DATA, which is not escalated")
		return nil, nil
	default:
		return nil, fieldErr(stateField, `must be "ALARM", "OK" or "INSUFFICIENT_DATA"`)
	}

	// The ARN is arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>.
	if parts := strings.SplitN(a.arn, ":", 7); len(parts) == 7 && parts[0] == "arn" {
		if a.region == "" {
			a.region = parts[3]
		}
		if a.account == "" {
			a.account = parts[4]
		}
	}
	sys, err := pickSystem(firstNonEmpty(a.tags["system"], a.tags["opsdesk_system"]), o, "system",
		`tag the alarm "system" and turn on tag propagation`)
	if err != nil {
		return nil, err
	}
	dedup := a.arn
	if dedup == "" {
		dedup = firstNonEmpty(a.account, "-") + "/" + firstNonEmpty(a.region, a.regionName, "-") + "/" + a.name
	}
	summary := a.name
	if d := oneLine(firstLine(a.description)); d != "" && d != a.name {
		summary += ": " + d
	}
	details := strings.TrimSpace(a.reason + "\n\n" + a.description)

	host := ""
	for _, want := range hostDimensions {
		for _, d := range a.dims {
			if d[0] == want && d[1] != "" {
				host = d[1]
				break
			}
		}
		if host != "" {
			break
		}
	}
	if host == "" && len(a.dims) > 0 {
		host = a.dims[0][1]
	}

	var started time.Time
	switch {
	case st == StatusFiring:
		started = parseTime(a.changed, time.UTC, cwTime, time.RFC3339Nano)
	case strings.EqualFold(a.oldState, "ALARM"):
		started = parseTime(a.prevChanged, time.UTC, cwTime, time.RFC3339Nano)
	}

	s := Signal{
		Source:    SourceCloudWatch,
		System:    sys,
		DedupKey:  dedup,
		Status:    st,
		Summary:   summary,
		Details:   details,
		Severity:  normSeverity(a.tags["severity"], st),
		Host:      host,
		Service:   firstNonEmpty(a.metric, a.name),
		StartedAt: plausible(started),
		Labels:    labels{},
	}
	l := labels(s.Labels)
	for _, kv := range [][2]string{
		{"alarmName", a.name}, {"alarmArn", a.arn}, {"account", a.account},
		{"region", a.region}, {"regionName", a.regionName},
		{"newState", strings.ToUpper(a.state)}, {"oldState", a.oldState},
		{"stateChangeTime", a.changed}, {"namespace", a.namespace}, {"metricName", a.metric},
		{"eventId", a.eventID}, {"eventTime", a.eventTime},
	} {
		l.set(kv[0], kv[1])
	}
	for _, d := range a.dims {
		l.set("dimension."+d[0], d[1])
	}
	l.setAll("tag.", a.tags)
	finish(&s)
	return []Signal{s}, nil
}
