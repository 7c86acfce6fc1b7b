package pattern

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Realistic events and rules for the Set tests and the benchmarks.

// benchEvents are events as EventBridge delivers them; the first is the
// one BenchmarkSet500 uses.
var benchEvents = map[string]string{
	"cloudwatch-alarm": `{
  "version": "0",
  "id": "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92",
  "detail-type": "CloudWatch Alarm State Change",
  "source": "aws.cloudwatch",
  "account": "123456789012",
  "time": "2024-05-01T10:00:00Z",
  "region": "ap-northeast-1",
  "resources": ["arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:prod-api-cpu-high"],
  "detail": {
    "alarmName": "prod-api-cpu-high",
    "state": {
      "value": "ALARM",
      "reason": "Threshold Crossed: 3 out of the last 3 datapoints [92.5 (01/05/24 09:58:00), 91.0 (01/05/24 09:57:00), 95.2 (01/05/24 09:56:00)] were greater than the threshold (90.0) (minimum 3 datapoints for OK -> ALARM transition).",
      "reasonData": "{\"version\":\"1.0\",\"queryDate\":\"2024-05-01T10:00:00.000+0000\",\"startDate\":\"2024-05-01T09:56:00.000+0000\",\"statistic\":\"Average\",\"period\":60,\"recentDatapoints\":[95.2,91.0,92.5],\"threshold\":90.0}",
      "timestamp": "2024-05-01T10:00:00.000+0000"
    },
    "previousState": {
      "value": "OK",
      "reason": "Threshold Crossed: 1 out of the last 3 datapoints [45.1 (01/05/24 08:58:00)] was not greater than the threshold (90.0).",
      "timestamp": "2024-05-01T09:00:00.000+0000"
    },
    "configuration": {
      "description": "API CPU above 90% for 3 minutes",
      "metrics": [{
        "id": "m1",
        "metricStat": {
          "metric": {"namespace": "AWS/EC2", "name": "CPUUtilization", "dimensions": {"AutoScalingGroupName": "prod-api-asg"}},
          "period": 60,
          "stat": "Average"
        },
        "returnData": true
      }]
    }
  }
}`,
	"ec2-state": `{
  "version": "0",
  "id": "7bf73129-1428-4cd3-a780-95db273d1602",
  "detail-type": "EC2 Instance State-change Notification",
  "source": "aws.ec2",
  "account": "123456789012",
  "time": "2024-05-01T21:29:54Z",
  "region": "us-east-1",
  "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-0abcd1111ef567890"],
  "detail": {"instance-id": "i-0abcd1111ef567890", "state": "stopped"}
}`,
	"s3-object-created": `{
  "version": "0",
  "id": "17793124-05d4-b198-2fde-7ededc63b103",
  "detail-type": "Object Created",
  "source": "aws.s3",
  "account": "123456789012",
  "time": "2024-05-01T18:43:48Z",
  "region": "eu-west-1",
  "resources": ["arn:aws:s3:::prod-ingest-bucket"],
  "detail": {
    "version": "0",
    "bucket": {"name": "prod-ingest-bucket"},
    "object": {"key": "incoming/2024/05/01/orders-0001.csv", "size": 5242880, "etag": "b1946ac92492d2347c6235b4d2611184", "sequencer": "00617F08299329D189"},
    "request-id": "N4N7GDK58NMKJ12R",
    "requester": "123456789012",
    "source-ip-address": "10.0.12.34",
    "reason": "PutObject"
  }
}`,
	"guardduty-finding": `{
  "version": "0",
  "id": "cd2d702e-ab31-411b-9344-793ce56b1bc7",
  "detail-type": "GuardDuty Finding",
  "source": "aws.guardduty",
  "account": "123456789012",
  "time": "2024-05-01T12:00:00Z",
  "region": "us-west-2",
  "resources": [],
  "detail": {
    "schemaVersion": "2.0",
    "accountId": "123456789012",
    "region": "us-west-2",
    "type": "UnauthorizedAccess:EC2/SSHBruteForce",
    "severity": 7.5,
    "title": "SSH brute force attacks against i-99999999",
    "resource": {"resourceType": "Instance", "instanceDetails": {"instanceId": "i-99999999", "tags": [{"key": "env", "value": "prod"}]}},
    "service": {"action": {"actionType": "NETWORK_CONNECTION", "networkConnectionAction": {"remoteIpDetails": {"ipAddressV4": "198.51.100.7"}}}, "count": 42}
  }
}`,
}

// benchEventOrder is the order of the mixed benchmark.
var benchEventOrder = []string{"cloudwatch-alarm", "ec2-state", "s3-object-created", "guardduty-finding"}

// genRules returns n rule patterns of the kinds operators write: mostly a
// source and a detail-type with a condition or two on detail, some with
// prefixes, numeric ranges, anything-but, wildcards, cidr, exists and
// $or, and a few that name no exact source. The sources are skewed as on
// a real bus: CloudWatch alarms, EC2 and S3 are common.
func genRules(n int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 42))
	type src struct {
		name, detailType string
		weight           int
	}
	sources := []src{
		{"aws.cloudwatch", "CloudWatch Alarm State Change", 14},
		{"aws.ec2", "EC2 Instance State-change Notification", 10},
		{"aws.s3", "Object Created", 8},
		{"aws.guardduty", "GuardDuty Finding", 6},
		{"aws.health", "AWS Health Event", 6},
		{"aws.securityhub", "Security Hub Findings - Imported", 5},
		{"aws.autoscaling", "EC2 Instance Launch Successful", 5},
		{"aws.rds", "RDS DB Instance Event", 5},
		{"aws.ecs", "ECS Task State Change", 5},
		{"aws.lambda", "Lambda Function Invocation Result - Failure", 3},
		{"aws.codepipeline", "CodePipeline Pipeline Execution State Change", 4},
		{"aws.codebuild", "CodeBuild Build State Change", 3},
		{"aws.signin", "AWS Console Sign In via CloudTrail", 3},
		{"aws.iam", "AWS API Call via CloudTrail", 3},
		{"aws.ssm", "EC2 Command Status-change Notification", 2},
		{"aws.backup", "Backup Job State Change", 2},
		{"aws.config", "Config Rules Compliance Change", 2},
		{"aws.dynamodb", "AWS API Call via CloudTrail", 2},
		{"aws.elasticloadbalancing", "AWS API Call via CloudTrail", 2},
		{"aws.kms", "KMS CMK Deletion", 1},
		{"aws.trustedadvisor", "Trusted Advisor Check Item Refresh Notification", 1},
		{"com.opsdesk.app", "Deployment Finished", 3},
		{"com.acme.orders", "Order Placed", 3},
	}
	total := 0
	for _, s := range sources {
		total += s.weight
	}
	pick := func() src {
		k := r.IntN(total)
		for _, s := range sources {
			if k < s.weight {
				return s
			}
			k -= s.weight
		}
		panic("unreachable")
	}
	q := func(s string) string { return fmt.Sprintf("%q", s) }
	names := []string{"api", "web", "db", "worker", "batch", "cache", "queue", "auth", "search", "billing"}
	envs := []string{"prod", "stg", "dev"}
	states := []string{"ALARM", "OK", "INSUFFICIENT_DATA"}
	ec2States := []string{"pending", "running", "stopping", "stopped", "shutting-down", "terminated"}
	regions := []string{"us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1", "ap-southeast-2"}

	rules := make([]string, 0, n)
	for i := range n {
		s := pick()
		env, name := envs[r.IntN(len(envs))], names[r.IntN(len(names))]
		base := `"source": [` + q(s.name) + `], "detail-type": [` + q(s.detailType) + `]`
		var p string
		switch k := r.IntN(100); {
		case k < 25: // source and detail-type only, sometimes a region
			p = base
			if r.IntN(2) == 0 {
				p += `, "region": [` + q(regions[r.IntN(len(regions))]) + `, ` + q(regions[r.IntN(len(regions))]) + `]`
			}
		case k < 40: // a state value, alarm-style
			switch s.name {
			case "aws.cloudwatch":
				p = base + `, "detail": {"state": {"value": [` + q(states[r.IntN(3)]) + `]}, "alarmName": [{"prefix": ` + q(env+"-"+name) + `}]}`
			case "aws.ec2":
				p = base + `, "detail": {"state": [` + q(ec2States[r.IntN(6)]) + `, ` + q(ec2States[r.IntN(6)]) + `]}`
			default:
				p = base + `, "detail": {"status": [` + q(strings.ToUpper(ec2States[r.IntN(6)])) + `]}`
			}
		case k < 52: // prefix on a name
			p = base + `, "resources": [{"prefix": ` + q("arn:aws:"+strings.TrimPrefix(s.name, "aws.")+":"+regions[r.IntN(len(regions))]) + `}]`
		case k < 62: // numeric thresholds
			lo := r.IntN(8)
			p = base + `, "detail": {"severity": [{"numeric": [">=", ` + fmt.Sprint(lo) + `, "<", ` + fmt.Sprint(lo+3) + `]}]}`
		case k < 68: // anything-but
			p = base + `, "detail": {"state": {"value": [{"anything-but": ["OK", ` + q(states[r.IntN(3)]) + `]}]}}`
		case k < 74: // wildcard on an S3 key or alarm name
			p = base + `, "detail": {"object": {"key": [{"wildcard": ` + q("incoming/*/"+name+"-*.csv") + `}]}, "alarmName": [{"wildcard": ` + q(env+"-*-"+name) + `}]}`
		case k < 79: // exists and equals-ignore-case
			p = base + `, "detail": {"configuration": {"description": [{"exists": true}]}, "state": {"value": [{"equals-ignore-case": "alarm"}]}}`
		case k < 84: // cidr on a source address
			p = base + `, "detail": {"sourceIPAddress": [{"cidr": ` + q(fmt.Sprintf("10.%d.0.0/16", r.IntN(256))) + `}], "source-ip-address": [{"cidr": "10.0.0.0/8"}]}`
		case k < 90: // $or of two conditions
			p = base + `, "detail": {"$or": [{"state": {"value": ["ALARM"]}}, {"severity": [{"numeric": [">", ` + fmt.Sprint(r.IntN(9)) + `]}]}]}`
		case k < 94: // several sources, one condition
			p = `"source": [` + q(s.name) + `, ` + q(pick().name) + `], "detail": {"eventName": [` + q("Delete"+name) + `, ` + q("Put"+name) + `]}`
		default: // no exact source: filed under account or region, or not at all
			switch r.IntN(3) {
			case 0:
				p = `"source": [{"prefix": "com.acme"}], "detail-type": [{"anything-but": "Order Cancelled"}]`
			case 1:
				p = `"account": ["123456789012", "210987654321"], "region": [{"prefix": "ap-"}], "detail": {"severity": [{"numeric": [">", 7]}]}`
			default:
				p = `"detail-type": [{"suffix": "via CloudTrail"}], "detail": {"eventName": [{"prefix": ` + q("Delete"+name) + `}]}`
			}
		}
		_ = i
		rules = append(rules, "{"+p+"}")
	}
	return rules
}
