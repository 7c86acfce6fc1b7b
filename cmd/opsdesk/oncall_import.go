package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/opsdesk/opsdesk/internal/oncall/importer"
)

// oncallImportCmd converts another tool's schedule export into oncall.schedules YAML
// (docs/oncall.md, "Moving from PagerDuty or GoAlert"): the YAML to standard output, what
// was approximated or skipped to standard error. It touches no database. A file that
// cannot be read or converted is a usage error (exit status 2), naming the field.
func oncallImportCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs, _ := flags("oncall import")
	from := fs.String("from", "", "the export's `TOOL`: pagerduty (GET /schedules/{id}) or goalert (the GraphQL query in docs/oncall.md)")
	overrides := fs.String("overrides", "", "PagerDuty only: `FILE` with GET /schedules/{id}/overrides, to carry the overrides over")
	asJSON := fs.Bool("json", false, "print the schedule as the JSON body of PUT /api/v1/oncall/{schedule} instead of YAML")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"oncall import takes one FILE (- for standard input)"}
	}
	if *from != "pagerduty" && *from != "goalert" {
		return usageError{fmt.Sprintf("--from must be pagerduty or goalert (got %q)", *from)}
	}
	if *overrides != "" && *from != "pagerduty" {
		return usageError{"--overrides is for --from pagerduty only"}
	}
	export, err := readExport(pos[0], stdin)
	if err != nil {
		return err
	}
	opt := importer.Options{Now: time.Now()}
	var res *importer.Result
	if *from == "pagerduty" {
		var ov []byte
		if *overrides != "" {
			if ov, err = readExport(*overrides, stdin); err != nil {
				return err
			}
		}
		res, err = importer.PagerDuty(export, ov, opt)
	} else {
		res, err = importer.GoAlert(export, opt)
	}
	if err != nil {
		var fe *importer.FieldError
		if errors.As(err, &fe) {
			return usageError{fmt.Sprintf("%s: %s", pos[0], fe)}
		}
		return usageError{fmt.Sprintf("%s: %v", pos[0], err)}
	}
	for _, n := range res.Notes {
		fmt.Fprintf(stderr, "note: %s\n", n)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res.Schedule)
	}
	_, err = stdout.Write(res.YAML)
	return err
}

// readExport reads FILE, or standard input for "-", at most importer.MaxInput bytes.
func readExport(name string, stdin io.Reader) ([]byte, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, usageError{fmt.Sprintf("cannot read %s: %v", name, errors.Unwrap(err))}
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, importer.MaxInput+1))
	if err != nil {
		return nil, usageError{fmt.Sprintf("cannot read %s: %v", name, err)}
	}
	if len(b) > importer.MaxInput {
		return nil, usageError{fmt.Sprintf("%s is larger than %d MiB: not a schedule export", name, importer.MaxInput>>20)}
	}
	return b, nil
}
