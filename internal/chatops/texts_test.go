package chatops

import (
	"reflect"
	"regexp"
	"testing"
)

// TestWordsComplete: every text exists in every reply language, with the
// same formatting verbs as the English one.
func TestWordsComplete(t *testing.T) {
	t.Parallel()
	verbs := regexp.MustCompile(`%(\[\d\])?[sdv]`)
	en := reflect.ValueOf(enWords)
	for lang, w := range wordsByLang {
		v := reflect.ValueOf(*w)
		for i := range v.NumField() {
			name := v.Type().Field(i).Name
			s := v.Field(i).String()
			if s == "" {
				t.Errorf("%s: %s is empty", lang, name)
			}
			want := verbs.FindAllString(en.Field(i).String(), -1)
			got := verbs.FindAllString(s, -1)
			if len(got) != len(want) {
				t.Errorf("%s: %s has verbs %v, English has %v", lang, name, got, want)
			}
		}
	}
	if wordsFor("fr") != &zhWords || wordsFor("ja") != &jaWords {
		t.Fatal("wordsFor")
	}
}
