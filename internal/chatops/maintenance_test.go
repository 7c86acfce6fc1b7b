package chatops

import (
	"reflect"
	"regexp"
	"slices"
	"testing"
)

// verbRE matches a formatting verb, with its argument index if any.
var verbRE = regexp.MustCompile(`%(\[\d+\])?[sdv]`)

// TestMaintenanceWords: every language says every answer, with the same
// formatting verbs as English (a missing %d would print garbage).
func TestMaintenanceWords(t *testing.T) {
	t.Parallel()
	en := reflect.ValueOf(*maintenanceWordsByLang["en"])
	for _, lang := range []string{"zh", "ja", "en", "ko"} {
		w, ok := maintenanceWordsByLang[lang]
		if !ok {
			t.Fatalf("no maintenance words in %s", lang)
		}
		v := reflect.ValueOf(*w)
		for i := range v.NumField() {
			name, s := v.Type().Field(i).Name, v.Field(i).String()
			if s == "" {
				t.Errorf("%s: %s is empty", lang, name)
			}
			got, want := verbRE.FindAllString(s, -1), verbRE.FindAllString(en.Field(i).String(), -1)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: %s has verbs %v, English %v", lang, name, got, want)
			}
		}
	}
	if maintenanceWordsFor("fr") != maintenanceWordsByLang["zh"] {
		t.Error("an unknown language does not fall back to zh")
	}
}
