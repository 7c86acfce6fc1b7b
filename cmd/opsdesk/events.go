package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/opsdesk/opsdesk/internal/events/pattern"
	"github.com/opsdesk/opsdesk/internal/events/payload"
	"github.com/opsdesk/opsdesk/internal/events/samples"
)

func eventsCmd(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{"events needs a subcommand: samples, sample, send, match"}
	}
	switch args[0] {
	case "samples":
		if pos, err := parse(noFlags("events samples"), args[1:]); err != nil {
			return err
		} else if len(pos) != 0 {
			return usageError{"events samples takes no arguments"}
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		for _, s := range samples.List() {
			fmt.Fprintf(w, "%s\t%s\n", s.Name, s.Description)
		}
		return w.Flush()
	case "sample":
		pos, err := parse(noFlags("events sample"), args[1:])
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usageError{"events sample needs one NAME (see: opsdesk events samples)"}
		}
		b, err := samples.Get(pos[0])
		if err != nil {
			return err
		}
		_, err = stdout.Write(append(bytes.TrimRight(b, "\n"), '\n'))
		return err
	case "send":
		return eventsSend(args[1:], stdin, stdout)
	case "match":
		return eventsMatch(args[1:], stdin, stdout)
	}
	return usageError{fmt.Sprintf("unknown events subcommand %q (%s)", args[0], strings.Join(subcommands("events"), ", "))}
}

// readArg reads a file, or stdin for "-".
func readArg(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(io.LimitReader(stdin, 64<<20))
	}
	return os.ReadFile(name)
}

// eventsSend posts a payload file to a running opsdesk and prints what it
// accepted. The URL and token come from flags or OPSDESK_URL /
// OPSDESK_TOKEN.
func eventsSend(args []string, stdin io.Reader, stdout io.Writer) error {
	fs, _ := flags("events send")
	base := fs.String("url", "", "opsdesk base `URL` (default $OPSDESK_URL or http://127.0.0.1:8080)")
	token := fs.String("token", "", "API `TOKEN` with the scope ingest:events (default $OPSDESK_TOKEN)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"events send needs one FILE (or - for stdin)"}
	}
	body, err := readArg(pos[0], stdin)
	if err != nil {
		return err
	}
	// Check locally first: a clear error without a round trip.
	if _, err := payload.Parse(body); err != nil {
		var se *payload.ShapeError
		if errors.As(err, &se) && se.Code != payload.CodeNoEvents {
			return fmt.Errorf("%s: %w", pos[0], err)
		}
	}
	if *base == "" {
		*base = os.Getenv("OPSDESK_URL")
	}
	if *base == "" {
		*base = "http://127.0.0.1:8080"
	}
	if *token == "" {
		*token = os.Getenv("OPSDESK_TOKEN")
	}
	if *token == "" {
		return usageError{"events send needs --token (or OPSDESK_TOKEN): create one with opsdesk tokens create --name NAME --scope ingest:events"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(*base, "/")+"/api/v1/events", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+*token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	var out struct {
		Shape      string `json:"shape"`
		Accepted   int    `json:"accepted"`
		Duplicates int    `json:"duplicates"`
		Events     []struct {
			Ref       int64    `json:"ref"`
			ID        string   `json:"id"`
			Source    string   `json:"source"`
			Type      string   `json:"detail_type"`
			Duplicate bool     `json:"duplicate"`
			Matched   []string `json:"matched"`
		} `json:"events"`
		Failed []struct {
			Index int    `json:"index"`
			Error string `json:"error"`
		} `json:"failed"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("opsdesk answered %s: %s", resp.Status, bytes.TrimSpace(raw))
	}
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("opsdesk answered %s: %s", resp.Status, out.Error)
	}
	fmt.Fprintf(stdout, "accepted %d, duplicates %d (%s)\n", out.Accepted, out.Duplicates, out.Shape)
	for _, e := range out.Events {
		m := "no rule"
		if len(e.Matched) > 0 {
			m = "matched " + strings.Join(e.Matched, ", ")
		}
		dup := ""
		if e.Duplicate {
			dup = " (duplicate)"
		}
		fmt.Fprintf(stdout, "  #%d %s %q: %s%s\n", e.Ref, e.Source, e.Type, m, dup)
	}
	for _, f := range out.Failed {
		fmt.Fprintf(stdout, "  record %d refused: %s\n", f.Index, f.Error)
	}
	return nil
}

// eventsMatch tells whether a pattern matches each event of a payload and
// why.
func eventsMatch(args []string, stdin io.Reader, stdout io.Writer) error {
	args, err := parse(noFlags("events match"), args)
	if err != nil {
		return err
	}
	if len(args) != 2 {
		return usageError{"events match needs PATTERN.json EVENT.json"}
	}
	pat, err := readArg(args[0], stdin)
	if err != nil {
		return err
	}
	p, err := pattern.Compile(pat)
	if err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	body, err := readArg(args[1], stdin)
	if err != nil {
		return err
	}
	b, err := payload.Parse(body)
	if err != nil && (b == nil || len(b.Events) == 0) {
		return fmt.Errorf("%s: %w", args[1], err)
	}
	any := false
	for i, ev := range b.Events {
		ok, reasons, err := p.Explain(ev.Raw)
		if err != nil {
			return err
		}
		verdict := "no match"
		if ok {
			verdict, any = "MATCH", true
		}
		label := ev.Source + " " + ev.DetailType
		if len(b.Events) > 1 {
			label = fmt.Sprintf("[%d] %s", i, label)
		}
		fmt.Fprintf(stdout, "%s: %s\n", label, verdict)
		for _, r := range reasons {
			fmt.Fprintf(stdout, "  %s\n", r)
		}
	}
	if !any {
		return errNoMatch
	}
	return nil
}

// errNoMatch makes "events match" exit 1 when nothing matched, like grep.
var errNoMatch = errors.New("the pattern matches no event")
