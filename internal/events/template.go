package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/template"
)

// templateFuncs are available in notify titles and templates:
//
//	{{field "detail.state.value"}}  a value by dotted path ("" if absent)
//	{{json .detail}}                compact JSON of a value
//	{{pretty .detail}}              indented JSON
//	{{.source}} {{index . "detail-type"}}  top-level fields
var templateFuncs = template.FuncMap{
	"json": func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	},
	"pretty": func(v any) string {
		b, _ := json.MarshalIndent(v, "", "  ")
		return string(b)
	},
	// field is replaced per execution (it needs the event); this entry
	// only declares it for parsing.
	"field": func(string) string { return "" },
}

// lookup walks a dotted path ("detail.state.value", "resources.0").
func lookup(ev any, path string) (any, bool) {
	cur := ev
	for _, part := range strings.Split(path, ".") {
		switch t := cur.(type) {
		case map[string]any:
			v, ok := t[part]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(t) {
				return nil, false
			}
			cur = t[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

func text(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case json.Number:
		return t.String()
	case map[string]any, []any:
		b, _ := json.Marshal(t)
		return string(b)
	}
	return fmt.Sprint(v)
}

// render executes a notify title or template over the event (decoded
// envelope); an empty text renders def.
func render(text_, def string, ev map[string]any) (string, error) {
	if strings.TrimSpace(text_) == "" {
		text_ = def
	}
	t, err := newTemplate(text_)
	if err != nil {
		return "", err
	}
	t.Funcs(template.FuncMap{"field": func(path string) string {
		v, _ := lookup(ev, path)
		return text(v)
	}})
	var b bytes.Buffer
	if err := t.Execute(&b, ev); err != nil {
		return "", err
	}
	return b.String(), nil
}

// Default notify texts.
const (
	defaultTitle    = `{{index . "detail-type"}} from {{.source}}`
	defaultTemplate = `{{with .resources}}Resources: {{range $i, $r := .}}{{if $i}}, {{end}}{{$r}}{{end}}
{{end}}{{pretty .detail}}`
)
