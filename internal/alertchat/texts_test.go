package alertchat

import (
	"regexp"
	"slices"
	"testing"
)

// TestTextsComplete: every text exists in en, ja, zh and ko with the same
// formatting verbs as the English one.
func TestTextsComplete(t *testing.T) {
	t.Parallel()
	verbs := regexp.MustCompile(`%[sdv]`)
	for _, lang := range Languages {
		m := texts[lang]
		if len(m) != len(texts["en"]) {
			t.Errorf("%s has %d texts, en %d", lang, len(m), len(texts["en"]))
		}
		for key, en := range texts["en"] {
			s := m[key]
			if s == "" {
				t.Errorf("%s: %s is missing", lang, key)
				continue
			}
			if got, want := verbs.FindAllString(s, -1), verbs.FindAllString(en, -1); !slices.Equal(got, want) {
				t.Errorf("%s: %s has verbs %v, en has %v", lang, key, got, want)
			}
		}
	}
	if tr("fr", tBtnAck) != "Acknowledge" || tr("ko", tFired, 3) != "3회 발생" {
		t.Error("tr")
	}
}
