package support_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/opsdesk/opsdesk/internal/aws/support"
	"github.com/opsdesk/opsdesk/internal/fake"
)

// apiMembers are the request members of each operation as the AWS Support
// API reference (and the SDKs' models) spell them. Member names are
// case-sensitive: AWS ignores a key it does not know, so "CaseIDList"
// instead of "caseIdList" would be dropped without an error.
var apiMembers = map[string][]string{
	support.OpDescribeCases:             {"afterTime", "beforeTime", "caseIdList", "displayId", "includeCommunications", "includeResolvedCases", "language", "maxResults", "nextToken"},
	support.OpDescribeCommunications:    {"afterTime", "beforeTime", "caseId", "maxResults", "nextToken"},
	support.OpDescribeAttachment:        {"attachmentId", "dryRun"},
	support.OpGetAttachmentDownloadLink: {"attachmentId", "dryRun"},
	support.OpDescribeServices:          {"language", "serviceCodeList"},
	support.OpDescribeSeverityLevels:    {"language"},
	support.OpCreateCase:                {"attachmentSetId", "categoryCode", "ccEmailAddresses", "communicationBody", "dryRun", "issueType", "language", "serviceCode", "severityCode", "subject", "uploadIds"},
	support.OpAddCommunicationToCase:    {"attachmentSetId", "caseId", "ccEmailAddresses", "communicationBody", "uploadIds"},
	support.OpResolveCase:               {"caseId"},
}

// fillAll sets every field of the struct p points to to a non-zero value
// and fails the test for a field of a kind it does not know.
func fillAll(t *testing.T, p any) {
	t.Helper()
	v := reflect.ValueOf(p).Elem()
	for i := range v.NumField() {
		f, name := v.Field(i), v.Type().Field(i).Name
		switch {
		case f.Kind() == reflect.String:
			f.SetString("v-" + strings.ToLower(name))
		case f.Kind() == reflect.Bool:
			f.SetBool(true)
		case f.Kind() == reflect.Int32:
			f.SetInt(support.MinMaxResults)
		case f.Kind() == reflect.Pointer && f.Type().Elem().Kind() == reflect.Bool:
			f.Set(reflect.ValueOf(support.Bool(true)))
		case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.String:
			f.Set(reflect.ValueOf([]string{"v-" + strings.ToLower(name)}))
		default:
			t.Fatalf("%T.%s: no test value for %s", p, name, f.Type())
		}
		if f.IsZero() {
			t.Fatalf("%T.%s is still zero", p, name)
		}
	}
}

// TestRequestMembersExact: every member of every request the client sends
// is spelled exactly as the API reference spells it. Each input, with every
// field set, is marshalled and compared with the reference's member names,
// then sent to the fake, which refuses any key that is not an exact member
// name (SerializationException); any other answer (the values are
// placeholders: CaseIdNotFound, DryRunOperationException, …) means the
// members were accepted.
func TestRequestMembersExact(t *testing.T) {
	t.Parallel()
	f := fake.NewSupport(t)
	c, _ := newClient(t, f)
	ctx := context.Background()
	inputs := map[string]any{
		support.OpDescribeCases:             &support.DescribeCasesInput{},
		support.OpDescribeCommunications:    &support.DescribeCommunicationsInput{},
		support.OpDescribeAttachment:        &support.DescribeAttachmentInput{},
		support.OpGetAttachmentDownloadLink: &support.GetAttachmentDownloadLinkInput{},
		support.OpDescribeServices:          &support.DescribeServicesInput{},
		support.OpDescribeSeverityLevels:    &support.DescribeSeverityLevelsInput{},
		support.OpCreateCase:                &support.CreateCaseInput{},
		support.OpAddCommunicationToCase:    &support.AddCommunicationToCaseInput{},
		support.OpResolveCase:               &support.ResolveCaseInput{},
	}
	if len(inputs) != len(apiMembers) {
		t.Fatalf("%d inputs for %d operations", len(inputs), len(apiMembers))
	}
	for op, in := range inputs {
		fillAll(t, in)
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		got := slices.Sorted(maps.Keys(m))
		if want := apiMembers[op]; !slices.Equal(got, want) {
			t.Errorf("%s sends members %v, want %v", op, got, want)
		}
	}
	for op, call := range map[string]func() error{
		support.OpDescribeCases: func() error {
			_, err := c.DescribeCases(ctx, inputs[support.OpDescribeCases].(*support.DescribeCasesInput))
			return err
		},
		support.OpDescribeCommunications: func() error {
			_, err := c.DescribeCommunications(ctx, inputs[support.OpDescribeCommunications].(*support.DescribeCommunicationsInput))
			return err
		},
		support.OpDescribeAttachment: func() error {
			_, err := c.DescribeAttachment(ctx, inputs[support.OpDescribeAttachment].(*support.DescribeAttachmentInput))
			return err
		},
		support.OpGetAttachmentDownloadLink: func() error {
			_, err := c.GetAttachmentDownloadLink(ctx, inputs[support.OpGetAttachmentDownloadLink].(*support.GetAttachmentDownloadLinkInput))
			return err
		},
		support.OpDescribeServices: func() error {
			_, err := c.DescribeServices(ctx, inputs[support.OpDescribeServices].(*support.DescribeServicesInput))
			return err
		},
		support.OpDescribeSeverityLevels: func() error {
			_, err := c.DescribeSeverityLevels(ctx, inputs[support.OpDescribeSeverityLevels].(*support.DescribeSeverityLevelsInput))
			return err
		},
		support.OpCreateCase: func() error {
			_, err := c.CreateCase(ctx, inputs[support.OpCreateCase].(*support.CreateCaseInput))
			return err
		},
		support.OpAddCommunicationToCase: func() error {
			_, err := c.AddCommunicationToCase(ctx, inputs[support.OpAddCommunicationToCase].(*support.AddCommunicationToCaseInput))
			return err
		},
		support.OpResolveCase: func() error {
			_, err := c.ResolveCase(ctx, inputs[support.OpResolveCase].(*support.ResolveCaseInput))
			return err
		},
	} {
		before := f.Calls(op)
		err := call()
		if f.Calls(op) == before {
			t.Errorf("%s: not sent: %v", op, err)
			continue
		}
		var ae *support.APIError
		if errors.As(err, &ae) && ae.Code == "SerializationException" {
			t.Errorf("%s: the fake refused the request's members: %v", op, err)
		}
	}
}
