package intake

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		in    Input
		field string // "" = valid
		want  Input
	}{
		{"plain", Input{Question: " How do I? \r\n"}, "", Input{Question: "How do I?"}},
		{"cjk", Input{Project: "AWS-101", Name: "김철수", Question: "障害が発生しました\r\n장애"}, "", Input{Project: "AWS-101", Name: "김철수", Question: "障害が発生しました\n장애"}},
		{"empty", Input{Question: "   \n "}, "question", Input{}},
		{"missing", Input{Name: "x"}, "question", Input{}},
		{"too long", Input{Question: strings.Repeat("障", 8001)}, "question", Input{}},
		{"exactly max", Input{Question: strings.Repeat("障", 8000)}, "", Input{Question: strings.Repeat("障", 8000)}},
		{"bad utf8", Input{Question: "a\xffb"}, "question", Input{}},
		{"nul", Input{Question: "a\x00b"}, "question", Input{}},
		{"newline in name", Input{Name: "a\nb", Question: "q"}, "name", Input{}},
		{"long project", Input{Project: strings.Repeat("p", 101), Question: "q"}, "project", Input{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			err := in.Normalize(8000)
			if c.field == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				if in.Question != c.want.Question || in.Name != c.want.Name || in.Project != c.want.Project {
					t.Errorf("got %+v want %+v", in, c.want)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != c.field {
				t.Fatalf("error %v; want field %s", err, c.field)
			}
		})
	}
	in := Input{Question: "q", Website: "http://spam"}
	if err := in.Normalize(8000); !errors.Is(err, ErrHoneypot) {
		t.Errorf("honeypot: %v", err)
	}
}

func TestRef(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		r := NewRef()
		if !ValidRef(r) {
			t.Fatalf("invalid ref %q", r)
		}
		if seen[r] {
			t.Fatalf("duplicate ref %q", r)
		}
		seen[r] = true
	}
	for _, bad := range []string{"", "Q-", "Q-0000000I", "X-00000000", "Q-000000000"} {
		if ValidRef(bad) {
			t.Errorf("ValidRef(%q) = true", bad)
		}
	}
}

func decode(t testing.TB, ct, body string) (Input, string, error) {
	r := httptest.NewRequest(http.MethodPost, "/api/v1/questions", strings.NewReader(body))
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	return DecodeInput(httptest.NewRecorder(), r)
}

func TestDecodeInput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, ct, body string
		wantErr        bool
		field          string
		question       string
	}{
		{"json", "application/json", `{"project":"p","name":"n","question":"故障"}`, false, "", "故障"},
		{"json charset", "application/json; charset=utf-8", `{"question":"q"}`, false, "", "q"},
		{"no content type", "", `{"question":"q"}`, false, "", "q"},
		{"form", "application/x-www-form-urlencoded", `question=%E9%9A%9C%E5%AE%B3&project=p`, false, "", "障害"},
		{"malformed", "application/json", `{"question":`, true, "", ""},
		{"array", "application/json", `["q"]`, true, "", ""},
		{"null", "application/json", `null`, true, "", ""},
		{"empty", "application/json", ``, true, "", ""},
		{"two values", "application/json", `{"question":"a"}{"question":"b"}`, true, "", ""},
		{"number", "application/json", `{"question":5}`, true, "question", ""},
		{"unknown field", "application/json", `{"questoin":"x"}`, true, "questoin", ""},
		{"bad utf8", "application/json", "{\"question\":\"a\xffb\"}", true, "question", ""},
		{"xml", "application/xml", `<q/>`, true, "", ""},
		{"too big", "application/json", `{"question":"` + strings.Repeat("a", MaxBody) + `"}`, true, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in, field, err := decode(t, c.ct, c.body)
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v", err)
			}
			if field != c.field {
				t.Errorf("field = %q; want %q", field, c.field)
			}
			if !c.wantErr && in.Question != c.question {
				t.Errorf("question = %q", in.Question)
			}
		})
	}
}

// FuzzDecodeInput checks that no body makes the decoder panic, and that
// whatever it accepts survives Normalize as valid UTF-8 within limits.
func FuzzDecodeInput(f *testing.F) {
	for _, s := range []string{`{"question":"q"}`, `{"question":"障害","name":null}`, `{"a":1}`, "{\"question\":\"\xff\"}", `[]`, ``, `{"question":"\u0000"}`} {
		f.Add("application/json", s)
	}
	f.Add("application/x-www-form-urlencoded", "question=a&name=%ff")
	f.Fuzz(func(t *testing.T, ct, body string) {
		in, _, err := decode(t, ct, body)
		if err != nil {
			return
		}
		if in.Normalize(8000) != nil {
			return
		}
		if !utf8.ValidString(in.Question) || in.Question == "" || utf8.RuneCountInString(in.Question) > 8000 {
			t.Fatalf("accepted bad question %q", in.Question)
		}
	})
}
