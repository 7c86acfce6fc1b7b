package connect_test

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// stringOrList decodes an IAM field that is a string or a list of strings.
type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	err := json.Unmarshal(b, &many)
	*s = many
	return err
}

func TestIAMPolicy(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../../deploy/iam/opsdesk-connect-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Version   string
		Statement []struct {
			Sid       string
			Effect    string
			Action    stringOrList
			NotAction stringOrList
			Resource  stringOrList
			Condition map[string]any
		}
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("policy is not valid: %v", err)
	}
	if doc.Version != "2012-10-17" {
		t.Fatalf("Version %q", doc.Version)
	}
	var actions []string
	contactARN := "arn:aws:connect:REGION:ACCOUNT_ID:instance/INSTANCE_ID/contact/*"
	for _, st := range doc.Statement {
		if st.Effect != "Allow" || len(st.NotAction) > 0 {
			t.Fatalf("%s: only Allow statements with Action", st.Sid)
		}
		for _, a := range st.Action {
			if strings.Contains(a, "*") {
				t.Fatalf("%s: wildcard action %q", st.Sid, a)
			}
		}
		actions = append(actions, st.Action...)
		if !slices.Contains(st.Resource, contactARN) {
			t.Fatalf("%s: resources %v do not include %s", st.Sid, st.Resource, contactARN)
		}
		for _, r := range st.Resource {
			if !strings.HasPrefix(r, "arn:aws:connect:REGION:ACCOUNT_ID:instance/INSTANCE_ID/") {
				t.Fatalf("%s: resource %q is not scoped to the instance", st.Sid, r)
			}
			if strings.HasSuffix(r, "contact-flow/*") || r == "*" {
				t.Fatalf("%s: resource %q is too broad", st.Sid, r)
			}
		}
	}
	slices.Sort(actions)
	want := []string{"connect:DescribeContact", "connect:GetContactAttributes", "connect:StartOutboundVoiceContact", "connect:StopContact"}
	if !slices.Equal(actions, want) {
		t.Fatalf("actions %v, want exactly %v", actions, want)
	}
}
