package connect_test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/opsdesk/opsdesk/internal/aws/connect"
)

const flowFile = "../../../deploy/connect/alert-call-flow.json"

// flowActionTypes are the Flow language action types the alert flow may
// use (Amazon Connect Flow language reference, version 2019-10-30).
var flowActionTypes = []string{
	"Compare", "Loop", "DisconnectParticipant", "GetParticipantInput", "MessageParticipant",
	"UpdateContactAttributes", "UpdateContactData", "UpdateContactTextToSpeechVoice",
	"UpdateFlowLoggingBehavior", "UpdateContactRecordingBehavior", "EndFlowExecution",
}

// voices is the Polly voice the flow must use for each language.
var voices = map[string]string{"ja-JP": "Takumi", "en-US": "Joanna", "zh-CN": "Zhiyu", "ko-KR": "Seoyeon"}

type flowDoc struct {
	Version     string
	StartAction string
	Actions     []flowAction
}

type flowAction struct {
	Identifier  string
	Type        string
	Parameters  map[string]any
	Transitions struct {
		NextAction string
		Conditions []struct {
			NextAction string
			Condition  struct {
				Operator string
				Operands []string
			}
		}
		Errors []struct {
			NextAction string
			ErrorType  string
		}
	}
}

func loadFlow(t *testing.T) (flowDoc, map[string]*flowAction) {
	t.Helper()
	raw, err := os.ReadFile(flowFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc flowDoc
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("flow is not valid JSON: %v", err)
	}
	byID := map[string]*flowAction{}
	for i := range doc.Actions {
		a := &doc.Actions[i]
		if byID[a.Identifier] != nil {
			t.Fatalf("duplicate identifier %q", a.Identifier)
		}
		byID[a.Identifier] = a
	}
	return doc, byID
}

func (a *flowAction) targets() []string {
	var out []string
	if a.Transitions.NextAction != "" {
		out = append(out, a.Transitions.NextAction)
	}
	for _, c := range a.Transitions.Conditions {
		out = append(out, c.NextAction)
	}
	for _, e := range a.Transitions.Errors {
		out = append(out, e.NextAction)
	}
	return out
}

func (a *flowAction) param(name string) string {
	s, _ := a.Parameters[name].(string)
	return s
}

func TestFlowStructure(t *testing.T) {
	t.Parallel()
	doc, byID := loadFlow(t)
	if doc.Version != "2019-10-30" {
		t.Fatalf("Version %q", doc.Version)
	}
	if byID[doc.StartAction] == nil {
		t.Fatalf("StartAction %q is not an action", doc.StartAction)
	}
	if len(doc.Actions) > 250 {
		t.Fatalf("%d actions; a flow may have 250", len(doc.Actions))
	}
	badID := regexp.MustCompile(`[%:()\\/=$,;\[\]{}]`)
	for _, a := range doc.Actions {
		if a.Identifier == "" || len(a.Identifier) > 50 || badID.MatchString(a.Identifier) {
			t.Errorf("identifier %q: 1–50 characters without %% : ( \\ / ) = $ , ; [ ] { }", a.Identifier)
		}
		if !slices.Contains(flowActionTypes, a.Type) {
			t.Errorf("%s: unknown action type %q", a.Identifier, a.Type)
		}
		for _, to := range a.targets() {
			if byID[to] == nil {
				t.Errorf("%s: transition to missing action %q", a.Identifier, to)
			}
		}
		if a.Type != "DisconnectParticipant" && a.Transitions.NextAction == "" {
			t.Errorf("%s: no NextAction: the call would stop in the flow", a.Identifier)
		}
		errs := map[string]bool{}
		for _, e := range a.Transitions.Errors {
			errs[e.ErrorType] = true
		}
		switch a.Type {
		case "GetParticipantInput":
			for _, e := range []string{"InputTimeLimitExceeded", "NoMatchingCondition", "NoMatchingError"} {
				if !errs[e] {
					t.Errorf("%s: no %s branch", a.Identifier, e)
				}
			}
			if n, err := strconv.Atoi(a.param("InputTimeLimitSeconds")); err != nil || n < 1 || n > 180 {
				t.Errorf("%s: InputTimeLimitSeconds %q", a.Identifier, a.param("InputTimeLimitSeconds"))
			}
		case "Loop":
			var conds []string
			for _, c := range a.Transitions.Conditions {
				conds = append(conds, c.Condition.Operands...)
			}
			slices.Sort(conds)
			if !slices.Equal(conds, []string{"ContinueLooping", "DoneLooping"}) {
				t.Errorf("%s: loop conditions %v", a.Identifier, conds)
			}
			if n, err := strconv.Atoi(a.param("LoopCount")); err != nil || n < 1 || n > 3 {
				t.Errorf("%s: LoopCount %q, want 1–3 repeats", a.Identifier, a.param("LoopCount"))
			}
		case "Compare":
			if !errs["NoMatchingCondition"] {
				t.Errorf("%s: no NoMatchingCondition branch", a.Identifier)
			}
		case "UpdateContactAttributes":
			if a.param("TargetContact") != "Current" {
				t.Errorf("%s: TargetContact %q", a.Identifier, a.param("TargetContact"))
			}
			attrs, _ := a.Parameters["Attributes"].(map[string]any)
			for k := range attrs {
				if k != connect.DefaultKeyAttribute {
					t.Errorf("%s: sets %q; the flow must store the key in %q", a.Identifier, k, connect.DefaultKeyAttribute)
				}
			}
		}
	}

	// Every action is reachable from the start.
	seen := map[string]bool{}
	queue := []string{doc.StartAction}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		if seen[id] || byID[id] == nil {
			continue
		}
		seen[id] = true
		queue = append(queue, byID[id].targets()...)
	}
	for _, a := range doc.Actions {
		if !seen[a.Identifier] {
			t.Errorf("%s is unreachable", a.Identifier)
		}
	}

	// The language check covers every supported language.
	start := byID[doc.StartAction]
	if start.Type != "Compare" || start.param("ComparisonValue") != "$.Attributes.language" {
		t.Fatalf("the flow does not start by checking the language attribute: %s %v", start.Type, start.Parameters)
	}
	var langs []string
	for _, c := range start.Transitions.Conditions {
		langs = append(langs, c.Condition.Operands...)
	}
	for _, l := range connect.SupportedLanguages {
		if !slices.Contains(langs, l) {
			t.Errorf("language %s is not handled", l)
		}
	}
}

// flowRun is what a simulated call went through.
type flowRun struct {
	attrs    map[string]string
	said     []string
	voice    string
	language string
	menus    int
	hungUp   bool
}

var attrRef = regexp.MustCompile(`\$\.Attributes\.([A-Za-z0-9_-]+)`)

// simulate runs the flow for a call with attrs, the callee answering each
// menu with the next of inputs ("" is a timeout; when inputs run out, every
// menu times out).
func simulate(t *testing.T, attrs map[string]string, inputs ...string) flowRun {
	t.Helper()
	doc, byID := loadFlow(t)
	run := flowRun{attrs: map[string]string{}}
	for k, v := range attrs {
		run.attrs[k] = v
	}
	resolve := func(s string) string {
		return attrRef.ReplaceAllStringFunc(s, func(m string) string { return run.attrs[attrRef.FindStringSubmatch(m)[1]] })
	}
	loops := map[string]int{}
	cur := doc.StartAction
	for step := 0; step < 1000; step++ {
		a := byID[cur]
		if a == nil {
			t.Fatalf("transition to missing action %q", cur)
		}
		onError := func(errType string) string {
			for _, e := range a.Transitions.Errors {
				if e.ErrorType == errType {
					return e.NextAction
				}
			}
			t.Fatalf("%s: no branch for %s", a.Identifier, errType)
			return ""
		}
		onCondition := func(value string) (string, bool) {
			for _, c := range a.Transitions.Conditions {
				if c.Condition.Operator == "Equals" && slices.Contains(c.Condition.Operands, value) {
					return c.NextAction, true
				}
			}
			return "", false
		}
		next := a.Transitions.NextAction
		switch a.Type {
		case "Compare":
			if to, ok := onCondition(resolve(a.param("ComparisonValue"))); ok {
				next = to
			} else {
				next = onError("NoMatchingCondition")
			}
		case "UpdateContactTextToSpeechVoice":
			run.voice = a.param("TextToSpeechVoice")
		case "UpdateContactData":
			run.language = a.param("LanguageCode")
		case "MessageParticipant":
			run.said = append(run.said, resolve(a.param("Text")))
		case "GetParticipantInput":
			run.said = append(run.said, resolve(a.param("Text")))
			run.menus++
			in := ""
			if len(inputs) > 0 {
				in, inputs = inputs[0], inputs[1:]
			}
			if in == "" {
				next = onError("InputTimeLimitExceeded")
			} else if to, ok := onCondition(in); ok {
				next = to
			} else {
				next = onError("NoMatchingCondition")
			}
		case "Loop":
			n, _ := strconv.Atoi(a.param("LoopCount"))
			loops[cur]++
			result := "ContinueLooping"
			if loops[cur] > n {
				result, loops[cur] = "DoneLooping", 0
			}
			to, ok := onCondition(result)
			if !ok {
				t.Fatalf("%s: no %s branch", a.Identifier, result)
			}
			next = to
		case "UpdateContactAttributes":
			set, _ := a.Parameters["Attributes"].(map[string]any)
			for k, v := range set {
				run.attrs[k] = resolve(v.(string))
			}
		case "DisconnectParticipant":
			run.hungUp = true
			return run
		default:
			t.Fatalf("%s: the simulation does not know %s", a.Identifier, a.Type)
		}
		cur = next
	}
	t.Fatal("the flow never hung up")
	return run
}

func TestFlowCalls(t *testing.T) {
	t.Parallel()
	alert := map[string]string{
		"systemname": "会計システムXYZ", "host": "server1", "service": "CPU Utilization",
		"summary": "CPU 98% for 10 minutes", "startdate": "2023-10-03 13:20:52",
	}
	with := func(lang string) map[string]string {
		m := map[string]string{"language": lang}
		for k, v := range alert {
			m[k] = v
		}
		return m
	}
	for _, lang := range append(slices.Clone(connect.SupportedLanguages), "fr-FR", "") {
		want := lang
		if voices[lang] == "" {
			want = connect.DefaultLanguage
		}
		t.Run("lang="+lang, func(t *testing.T) {
			t.Parallel()
			var confirms []string
			for _, key := range []string{"1", "2", "3"} {
				run := simulate(t, with(lang), key)
				if run.attrs[connect.DefaultKeyAttribute] != key || run.menus != 1 || !run.hungUp {
					t.Fatalf("key %s: attribute %q after %d menus, hung up %v", key, run.attrs[connect.DefaultKeyAttribute], run.menus, run.hungUp)
				}
				if run.voice != voices[want] || run.language != want {
					t.Fatalf("key %s: voice %s language %s, want %s %s", key, run.voice, run.language, voices[want], want)
				}
				intro := run.said[0]
				for _, attr := range []string{"systemname", "host", "service", "summary", "startdate"} {
					if !strings.Contains(intro, alert[attr]) {
						t.Fatalf("the alert does not read %s: %q", attr, intro)
					}
				}
				if !strings.Contains(run.said[1], "1") || !strings.Contains(run.said[1], "2") || !strings.Contains(run.said[1], "3") {
					t.Fatalf("menu does not offer 1, 2 and 3: %q", run.said[1])
				}
				if len(run.said) != 3 {
					t.Fatalf("said %q, want alert, menu and a confirmation", run.said)
				}
				confirms = append(confirms, run.said[2])
			}
			if confirms[0] == confirms[1] || confirms[1] == confirms[2] || confirms[0] == confirms[2] {
				t.Fatalf("the confirmations do not tell the keys apart: %q", confirms)
			}

			// Timeouts and wrong keys repeat the menu, then the key counts.
			run := simulate(t, with(lang), "", "9", "3")
			if run.attrs[connect.DefaultKeyAttribute] != "3" || run.menus != 3 {
				t.Fatalf("retries: key %q after %d menus", run.attrs[connect.DefaultKeyAttribute], run.menus)
			}

			// Nobody presses anything (voicemail): the menu is repeated three
			// times, then the flow says so and hangs up with no key.
			run = simulate(t, with(lang))
			if _, ok := run.attrs[connect.DefaultKeyAttribute]; ok || run.menus != 4 || !run.hungUp {
				t.Fatalf("no input: key %q after %d menus, hung up %v", run.attrs[connect.DefaultKeyAttribute], run.menus, run.hungUp)
			}
			last := run.said[len(run.said)-1]
			if slices.Contains(confirms, last) {
				t.Fatalf("no input ends with a key's confirmation: %q", last)
			}
		})
	}
}
