package notify

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalizeSeverity(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"critical": "critical", " CRITICAL ": "critical", "fatal": "critical",
		"Error": "error", "err": "error",
		"warning": "warning", "WARN": "warning",
		"info": "info", "Informational": "info",
		"": "", "ok": "", "p1": "",
	}
	for in, want := range tests {
		if got := normalizeSeverity(in); got != want {
			t.Errorf("normalizeSeverity(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMessageTitle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		m    Message
		want string
	}{
		{Message{Title: "  GuardDuty\tfinding\r\nHigh  "}, "GuardDuty finding High"},
		{Message{Text: "\n  \n最初の行\n二行目"}, "最初の行"},
		{Message{Kind: "case", Ref: "C-12"}, "opsdesk case C-12"},
		{Message{Ref: "E-9"}, "opsdesk E-9"},
		{Message{}, "opsdesk notice"},
		{Message{Title: strings.Repeat("長", 600)}, strings.Repeat("長", 500) + "…"},
	}
	for _, tt := range tests {
		if got := messageTitle(&tt.m); got != tt.want {
			t.Errorf("messageTitle(%+v) = %q, want %q", tt.m, got, tt.want)
		}
	}
}

func TestMessageLink(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url, console, want string
	}{
		{"https://desk.example.com/a/1", "https://desk.example.com/other", "https://desk.example.com/a/1"},
		{"", "https://desk.example.com/q/1", "https://desk.example.com/q/1"},
		{"javascript:alert(1)", "", ""},
		{"/relative/path", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		r := Request{ConsoleURL: tt.console, Message: &Message{URL: tt.url}}
		if got := messageLink(r); got != tt.want {
			t.Errorf("messageLink(%q, %q) = %q, want %q", tt.url, tt.console, got, tt.want)
		}
	}
}

func TestEllipsizeUTF16(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"😀😀😀", 6, "😀😀😀"},
		{"😀😀😀", 5, "😀😀…"},
		{"😀😀😀", 4, "😀…"}, // never half an emoji
		{"障害", 1, "…"},
		{"障害", 0, ""},
	}
	for _, tt := range tests {
		if got := ellipsizeUTF16(tt.in, tt.n); got != tt.want {
			t.Errorf("ellipsizeUTF16(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestSlackMrkdwn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"a<b>&c", 100, "a&lt;b&gt;&amp;c"},
		{"a<b>&c", 16, "a&lt;b&gt;&amp;c"},
		{"a<b>&c", 15, "a&lt;b&gt;…"}, // "&amp;" does not fit whole: left out
		{"&&&", 10, "&amp;…"},         // never "&am…"
		{"障😀&", 4, "障😀…"},             // 1 + 2 units, then the mark
		{"<!channel>", 200, "&lt;!channel&gt;"},
	}
	for _, tt := range tests {
		got := slackMrkdwn(tt.in, tt.n)
		if got != tt.want || utf16Len(got) > tt.n || !utf8.ValidString(got) {
			t.Errorf("slackMrkdwn(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestFitBody(t *testing.T) {
	t.Parallel()
	build := func(prefix string) func(string, bool) any {
		return func(text string, cut bool) any {
			if cut {
				text += "…"
			}
			return map[string]string{"p": prefix, "t": text}
		}
	}
	text := strings.Repeat("é障😀", 100) // 2+3+4 bytes
	body, err := fitBody(text, 200, build("x"))
	if err != nil || len(body) > 200 || !utf8.Valid(body) {
		t.Fatalf("fitBody = %d bytes %q, %v", len(body), body, err)
	}
	if body, err := fitBody("short", 200, build("x")); err != nil || string(body) != `{"p":"x","t":"short"}` {
		t.Fatalf("fitBody kept %q, %v", body, err)
	}
	// The parts that are never cut are too large on their own.
	if _, err := fitBody(text, 200, build(strings.Repeat("p", 300))); !errors.Is(err, errTooLarge) {
		t.Fatalf("oversized fixed parts: err = %v, want errTooLarge", err)
	}
}

func TestTeamsMessageBodyOmitsEmptyParts(t *testing.T) {
	t.Parallel()
	// No text, fields, meta or valid link: only the title block, which the
	// Adaptive Card schema still accepts (an empty FactSet or TextBlock,
	// or an OpenUrl to a non-http URL, would be refused).
	body, err := teamsMessageBody(Request{Message: &Message{Title: "t", URL: "ftp://x/y", Fields: []Field{{Name: " ", Value: "v"}}}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","contentUrl":null,"content":{"$schema":"http://adaptivecards.io/schemas/adaptive-card.json","type":"AdaptiveCard","version":"1.4","body":[{"size":"Medium","text":"t","type":"TextBlock","weight":"Bolder","wrap":true}],"msteams":{"width":"Full"}}}]}`
	if string(body) != want {
		t.Fatalf("body = %s\nwant   %s", body, want)
	}
}
