package lambdafwd_test

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const (
	templatePath = "../../deploy/sam/template.yaml"
	makefilePath = "../../deploy/sam/Makefile"
)

// The SAM template is read as a yaml.Node tree: CloudFormation's short
// forms (!Ref, !If, !Sub, !GetAtt…) are tags on its nodes.
func loadTemplate(t *testing.T, src []byte) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatalf("template: %v", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		t.Fatal("template: not a YAML mapping")
	}
	return doc.Content[0]
}

// get follows mapping keys; nil when one is missing.
func get(n *yaml.Node, path ...string) *yaml.Node {
	for _, k := range path {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}

func keys(n *yaml.Node) []string {
	var out []string
	if n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			out = append(out, n.Content[i].Value)
		}
	}
	return out
}

// str is a plain scalar's value ("" for a tagged or non-scalar node).
func str(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || strings.HasPrefix(n.Tag, "!") && n.Tag != "!!str" {
		return ""
	}
	return n.Value
}

// isRef reports whether n is !Ref name (short or long form).
func isRef(n *yaml.Node, name string) bool {
	if n == nil {
		return false
	}
	if n.Tag == "!Ref" {
		return n.Value == name
	}
	return str(get(n, "Ref")) == name && len(n.Content) == 2
}

// isGetAtt reports whether n is !GetAtt res.attr.
func isGetAtt(n *yaml.Node, res, attr string) bool {
	if n == nil || n.Tag != "!GetAtt" {
		return false
	}
	if n.Kind == yaml.ScalarNode {
		return n.Value == res+"."+attr
	}
	return len(n.Content) == 2 && n.Content[0].Value == res && n.Content[1].Value == attr
}

func strs(n *yaml.Node) []string {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}
	}
	var out []string
	for _, c := range n.Content {
		out = append(out, c.Value)
	}
	return out
}

var pseudoParams = []string{"AWS::AccountId", "AWS::NoValue", "AWS::NotificationARNs", "AWS::Partition", "AWS::Region", "AWS::StackId", "AWS::StackName", "AWS::URLSuffix"}

var subVar = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

// checkRefs walks the template and returns every reference to a name that
// is not a parameter, resource or pseudo parameter, every !GetAtt of an
// unknown resource, and every unknown condition.
func checkRefs(root *yaml.Node) []string {
	params, resources, conds := keys(get(root, "Parameters")), keys(get(root, "Resources")), keys(get(root, "Conditions"))
	var problems []string
	refOK := func(name string) bool {
		return slices.Contains(params, name) || slices.Contains(resources, name) || slices.Contains(pseudoParams, name)
	}
	var walk func(n *yaml.Node, where string)
	walk = func(n *yaml.Node, where string) {
		switch n.Tag {
		case "!Ref":
			if !refOK(n.Value) {
				problems = append(problems, fmt.Sprintf("%s: !Ref %s names nothing", where, n.Value))
			}
		case "!GetAtt":
			res := strings.SplitN(n.Value, ".", 2)[0]
			if n.Kind == yaml.SequenceNode && len(n.Content) > 0 {
				res = n.Content[0].Value
			}
			if !slices.Contains(resources, res) {
				problems = append(problems, fmt.Sprintf("%s: !GetAtt of unknown resource %s", where, res))
			}
		case "!Sub":
			s := n.Value
			if n.Kind == yaml.SequenceNode && len(n.Content) > 0 {
				s = n.Content[0].Value // variables of the map are not checked
			}
			for _, m := range subVar.FindAllStringSubmatch(s, -1) {
				name, _, dotted := strings.Cut(m[1], ".")
				if dotted && !slices.Contains(resources, name) || !dotted && !refOK(name) {
					problems = append(problems, fmt.Sprintf("%s: !Sub ${%s} names nothing", where, m[1]))
				}
			}
		case "!If":
			if len(n.Content) != 3 || !slices.Contains(conds, n.Content[0].Value) {
				problems = append(problems, fmt.Sprintf("%s: !If needs a known condition and two values", where))
			}
		case "!Condition":
			if !slices.Contains(conds, n.Value) {
				problems = append(problems, fmt.Sprintf("%s: unknown condition %s", where, n.Value))
			}
		}
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i].Value, n.Content[i+1]
				switch k {
				case "Ref":
					if !refOK(v.Value) {
						problems = append(problems, fmt.Sprintf("%s: Ref %s names nothing", where, v.Value))
					}
				case "Condition":
					if v.Kind == yaml.ScalarNode && !slices.Contains(conds, v.Value) {
						problems = append(problems, fmt.Sprintf("%s: unknown condition %s", where, v.Value))
					}
				}
				walk(v, where+"."+k)
			}
			return
		}
		for i, c := range n.Content {
			walk(c, fmt.Sprintf("%s[%d]", where, i))
		}
	}
	walk(root, "")
	return problems
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSAMTemplate(t *testing.T) {
	t.Parallel()
	root := loadTemplate(t, readFile(t, templatePath))
	if v := str(get(root, "Transform")); v != "AWS::Serverless-2016-10-31" {
		t.Errorf("Transform %q", v)
	}
	for _, p := range checkRefs(root) {
		t.Error(p)
	}

	fn := get(root, "Resources", "Forwarder")
	props := get(fn, "Properties")
	if str(get(fn, "Type")) != "AWS::Serverless::Function" {
		t.Fatalf("Forwarder is %q", str(get(fn, "Type")))
	}
	if got := str(get(props, "Runtime")); got != "provided.al2023" {
		t.Errorf("Runtime %q", got)
	}
	if got := str(get(props, "Handler")); got != "bootstrap" {
		t.Errorf("Handler %q", got)
	}
	arch := get(props, "Architectures")
	if arch == nil || arch.Kind != yaml.SequenceNode || len(arch.Content) != 1 || !isRef(arch.Content[0], "Architecture") {
		t.Error("Architectures must be [!Ref Architecture]")
	}
	ap := get(root, "Parameters", "Architecture")
	if !slices.Equal(strs(get(ap, "AllowedValues")), []string{"arm64", "x86_64"}) || str(get(ap, "Default")) != "arm64" {
		t.Errorf("parameter Architecture: allowed %v, default %q", strs(get(ap, "AllowedValues")), str(get(ap, "Default")))
	}
	if str(get(fn, "Metadata", "BuildMethod")) != "makefile" || str(get(props, "CodeUri")) != "." {
		t.Error("the function must be built by deploy/sam/Makefile (BuildMethod makefile, CodeUri .)")
	}
	env := get(props, "Environment", "Variables")
	if !isRef(get(env, "OPSDESK_URL"), "OpsdeskUrl") || !isRef(get(env, "OPSDESK_TOKEN_SECRET_ARN"), "OpsdeskTokenSecretArn") {
		t.Error("OPSDESK_URL and OPSDESK_TOKEN_SECRET_ARN must come from the parameters")
	}
	if get(env, "OPSDESK_TOKEN") != nil {
		t.Error("the template must not put a token in the environment")
	}
	if !isGetAtt(get(props, "Role"), "ForwarderRole", "Arn") || get(props, "Policies") != nil {
		t.Error("the function must use ForwarderRole and no SAM-generated policies")
	}
	if !isRef(get(props, "LoggingConfig", "LogGroup"), "ForwarderLogGroup") || !isRef(get(root, "Resources", "ForwarderLogGroup", "Properties", "RetentionInDays"), "LogRetentionDays") {
		t.Error("logs must go to ForwarderLogGroup with RetentionInDays from LogRetentionDays")
	}

	// Optional event sources exist only when their parameter is set.
	optional := map[string]struct{ cond, param string }{
		"SqsMapping": {"HasSqs", "SqsQueueArn"}, "StreamMapping": {"HasStream", "DynamoDBStreamArn"},
		"SnsSubscription": {"HasSns", "SnsTopicArn"}, "SnsPermission": {"HasSns", "SnsTopicArn"},
		"EventRule": {"HasEventPattern", "EventPattern"}, "EventRulePermission": {"HasEventPattern", "EventPattern"},
		"S3Permission": {"HasS3", "S3BucketName"},
	}
	for res, o := range optional {
		r := get(root, "Resources", res)
		if r == nil {
			t.Errorf("resource %s is missing", res)
			continue
		}
		if got := str(get(r, "Condition")); got != o.cond {
			t.Errorf("%s has condition %q, want %s", res, got, o.cond)
		}
		c := get(root, "Conditions", o.cond)
		// !Not [!Equals [!Ref P, ""]]
		if c == nil || c.Tag != "!Not" || len(c.Content) != 1 || c.Content[0].Tag != "!Equals" || len(c.Content[0].Content) != 2 ||
			!isRef(c.Content[0].Content[0], o.param) || c.Content[0].Content[1].Value != "" {
			t.Errorf("condition %s must be true when %s is not empty", o.cond, o.param)
		}
		if str(get(root, "Parameters", o.param, "Default")) != "" || get(root, "Parameters", o.param, "Default") == nil {
			t.Errorf("parameter %s must default to empty", o.param)
		}
	}
	for _, res := range keys(get(root, "Resources")) {
		typ := str(get(root, "Resources", res, "Type"))
		if (typ == "AWS::Lambda::EventSourceMapping" || typ == "AWS::Lambda::Permission" || typ == "AWS::SNS::Subscription" || typ == "AWS::Events::Rule") && get(root, "Resources", res, "Condition") == nil {
			t.Errorf("event source %s (%s) has no Condition", res, typ)
		}
	}

	sqs := get(root, "Resources", "SqsMapping", "Properties")
	if !slices.Contains(strs(get(sqs, "FunctionResponseTypes")), "ReportBatchItemFailures") || !isRef(get(sqs, "EventSourceArn"), "SqsQueueArn") {
		t.Error("the SQS mapping must report batch item failures for SqsQueueArn")
	}
	ddb := get(root, "Resources", "StreamMapping", "Properties")
	if !slices.Contains(strs(get(ddb, "FunctionResponseTypes")), "ReportBatchItemFailures") || !isGetAtt(get(ddb, "DestinationConfig", "OnFailure", "Destination"), "FailureQueue", "Arn") {
		t.Error("the stream mapping must report batch item failures and send failures to FailureQueue")
	}
	async := get(root, "Resources", "AsyncConfig")
	if str(get(async, "Type")) != "AWS::Lambda::EventInvokeConfig" || !isGetAtt(get(async, "Properties", "DestinationConfig", "OnFailure", "Destination"), "FailureQueue", "Arn") {
		t.Error("asynchronous invocations must end in FailureQueue")
	}

	checkPolicy(t, root)
}

// checkPolicy: the role grants GetSecretValue on the one secret and nothing
// else of Secrets Manager, and no statement uses a wildcard action or
// resource.
func checkPolicy(t *testing.T, root *yaml.Node) {
	t.Helper()
	role := get(root, "Resources", "ForwarderRole")
	if str(get(role, "Type")) != "AWS::IAM::Role" {
		t.Fatal("ForwarderRole is not an AWS::IAM::Role")
	}
	if get(role, "Properties", "ManagedPolicyArns") != nil {
		t.Error("ForwarderRole must not attach managed policies")
	}
	var stmts []*yaml.Node
	for _, p := range get(role, "Properties", "Policies").Content {
		for _, s := range get(p, "PolicyDocument", "Statement").Content {
			if s.Tag == "!If" {
				for _, branch := range s.Content[1:] {
					if !isRef(branch, "AWS::NoValue") {
						stmts = append(stmts, branch)
					}
				}
				continue
			}
			stmts = append(stmts, s)
		}
	}
	if len(stmts) < 3 {
		t.Fatalf("%d policy statements", len(stmts))
	}
	secrets := 0
	sendsFailures := false
	for _, s := range stmts {
		actions := strs(get(s, "Action"))
		if str(get(s, "Effect")) != "Allow" || get(s, "NotAction") != nil || get(s, "NotResource") != nil {
			t.Errorf("statement %s: only plain Allow statements expected", str(get(s, "Sid")))
		}
		for _, a := range actions {
			if strings.Contains(a, "*") {
				t.Errorf("statement %s grants wildcard action %s", str(get(s, "Sid")), a)
			}
		}
		res := get(s, "Resource")
		if res == nil || str(res) == "*" || slices.Contains(strs(res), "*") && res.Kind == yaml.SequenceNode {
			t.Errorf("statement %s has no resource or a * resource", str(get(s, "Sid")))
		}
		if slices.ContainsFunc(actions, func(a string) bool { return strings.HasPrefix(a, "secretsmanager:") }) {
			secrets++
			if !slices.Equal(actions, []string{"secretsmanager:GetSecretValue"}) || !isRef(res, "OpsdeskTokenSecretArn") {
				t.Errorf("the Secrets Manager statement grants %v on %v, want GetSecretValue on !Ref OpsdeskTokenSecretArn", actions, res.Value)
			}
		}
		if slices.Equal(actions, []string{"sqs:SendMessage"}) && isGetAtt(res, "FailureQueue", "Arn") {
			sendsFailures = true
		}
	}
	if secrets != 1 {
		t.Errorf("%d statements grant Secrets Manager actions, want 1", secrets)
	}
	if !sendsFailures {
		t.Error("the role cannot send to FailureQueue (the on-failure destinations need it)")
	}
}

// The reference check finds what it is meant to find.
func TestCheckRefsCatchesMistakes(t *testing.T) {
	t.Parallel()
	src := string(readFile(t, templatePath))
	for _, bad := range []struct{ from, to string }{
		{"EventSourceArn: !Ref SqsQueueArn", "EventSourceArn: !Ref SqsQueue"},
		{"Role: !GetAtt ForwarderRole.Arn", "Role: !GetAtt ForwarderRol.Arn"},
		{`"/aws/lambda/${AWS::StackName}-opsdesk-forwarder"`, `"/aws/lambda/${StackName}-opsdesk-forwarder"`},
		{"- HasSqs\n", "- HasSQS\n"},
		{"Condition: HasS3\n", "Condition: HasS4\n"},
	} {
		if !strings.Contains(src, bad.from) {
			t.Fatalf("template no longer contains %q; update this test", bad.from)
		}
		if probs := checkRefs(loadTemplate(t, []byte(strings.Replace(src, bad.from, bad.to, 1)))); len(probs) != 1 {
			t.Errorf("replacing %q: problems %v, want exactly one", bad.from, probs)
		}
	}
}

// sam build runs the Makefile's build-<LogicalId> target; it must build
// cmd/opsdesk-lambda as a static linux binary named bootstrap without the
// RPC mode, for the architecture asked for.
func TestSAMMakefile(t *testing.T) {
	t.Parallel()
	mk := string(readFile(t, makefilePath))
	target := regexp.MustCompile(`(?m)^build-Forwarder:.*\n((?:\t.*\n)+)`).FindStringSubmatch(mk)
	if target == nil {
		t.Fatal("no build-Forwarder target (the function's logical id)")
	}
	for _, want := range []string{"GOOS=linux", "GOARCH=$(GOARCH)", "CGO_ENABLED=0", "-tags lambda.norpc", `-o "$(ARTIFACTS_DIR)/bootstrap"`, "./cmd/opsdesk-lambda"} {
		if !strings.Contains(target[1], want) {
			t.Errorf("build-Forwarder does not contain %q:\n%s", want, target[1])
		}
	}
	if !strings.Contains(mk, "$(filter x86_64 amd64,$(ARCH)),amd64") || !strings.Contains(mk, "ARCH ?= arm64") {
		t.Error("ARCH must default to arm64 and map x86_64 to amd64")
	}
}
