package cases

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/opsdesk/opsdesk/internal/aws/support"
)

// ImportError names the item and field of a malformed import file.
type ImportError struct {
	Item  int    // 0-based index in Items; -1 for the file as a whole
	Field string // e.g. "communications[3].timeCreated"
	Msg   string
}

func (e *ImportError) Error() string {
	if e.Item < 0 {
		return "import: " + e.Msg
	}
	if e.Field == "" {
		return fmt.Sprintf("import: item %d: %s", e.Item, e.Msg)
	}
	return fmt.Sprintf("import: item %d: %s: %s", e.Item, e.Field, e.Msg)
}

// ParseDynamoDBScan reads the output of `aws dynamodb scan --output json`
// on seed 000's SupportCases table: {"Items": [{"case_id": {"S": …},
// "display_id", "subject", "serviceCode", "categoryCode", "severityCode",
// "timeCreated", "status", "communications": {"L": [{"M": {"body",
// "caseId", "submittedBy", "timeCreated", "attachmentSet"}}]}}]}. Every
// item is checked before anything is returned, so a bad item stops the
// whole import.
func ParseDynamoDBScan(r io.Reader) ([]support.CaseDetails, [][]support.Communication, error) {
	var doc struct {
		Items []map[string]json.RawMessage `json:"Items"`
	}
	dec := json.NewDecoder(r)
	if err := dec.Decode(&doc); err != nil {
		return nil, nil, &ImportError{Item: -1, Msg: "not the JSON output of aws dynamodb scan: " + err.Error()}
	}
	if doc.Items == nil {
		return nil, nil, &ImportError{Item: -1, Msg: `no "Items" array (expected the output of: aws dynamodb scan --table-name SupportCases --output json)`}
	}
	var cs []support.CaseDetails
	var comms [][]support.Communication
	for i, raw := range doc.Items {
		item := map[string]any{}
		for k, v := range raw {
			val, err := ddbValue(v)
			if err != nil {
				return nil, nil, &ImportError{Item: i, Field: k, Msg: err.Error()}
			}
			item[k] = val
		}
		c, cm, err := itemToCase(item)
		if err != nil {
			var ie *ImportError
			if errors.As(err, &ie) {
				ie.Item = i
				return nil, nil, ie
			}
			return nil, nil, &ImportError{Item: i, Msg: err.Error()}
		}
		cs = append(cs, c)
		comms = append(comms, cm)
	}
	return cs, comms, nil
}

// ddbValue converts one DynamoDB AttributeValue in JSON to Go: S → string,
// N → json.Number, BOOL, NULL → nil, M → map, L → slice, SS/NS → []string,
// B → []byte.
func ddbValue(raw json.RawMessage) (any, error) {
	var av map[string]json.RawMessage
	if err := json.Unmarshal(raw, &av); err != nil || len(av) != 1 {
		return nil, errors.New(`is not a DynamoDB attribute value like {"S": "…"}`)
	}
	for typ, v := range av {
		switch typ {
		case "S":
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, errors.New(`"S" must hold a string`)
			}
			return s, nil
		case "N":
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, errors.New(`"N" must hold a number as a string`)
			}
			return json.Number(s), nil
		case "BOOL":
			var b bool
			if err := json.Unmarshal(v, &b); err != nil {
				return nil, errors.New(`"BOOL" must hold true or false`)
			}
			return b, nil
		case "NULL":
			return nil, nil
		case "B":
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, errors.New(`"B" must hold base64`)
			}
			return base64.StdEncoding.DecodeString(s)
		case "SS", "NS":
			var ss []string
			if err := json.Unmarshal(v, &ss); err != nil {
				return nil, fmt.Errorf("%q must hold an array of strings", typ)
			}
			return ss, nil
		case "L":
			var l []json.RawMessage
			if err := json.Unmarshal(v, &l); err != nil {
				return nil, errors.New(`"L" must hold an array`)
			}
			out := make([]any, len(l))
			for i, e := range l {
				x, err := ddbValue(e)
				if err != nil {
					return nil, fmt.Errorf("[%d]: %w", i, err)
				}
				out[i] = x
			}
			return out, nil
		case "M":
			var m map[string]json.RawMessage
			if err := json.Unmarshal(v, &m); err != nil {
				return nil, errors.New(`"M" must hold an object`)
			}
			out := make(map[string]any, len(m))
			for k, e := range m {
				x, err := ddbValue(e)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", k, err)
				}
				out[k] = x
			}
			return out, nil
		default:
			return nil, fmt.Errorf("unknown DynamoDB type %q", typ)
		}
	}
	return nil, nil
}

func str(m map[string]any, key string, required bool) (string, error) {
	v, ok := m[key]
	if !ok || v == nil {
		if required {
			return "", &ImportError{Field: key, Msg: "is missing"}
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", &ImportError{Field: key, Msg: "must be a string (S)"}
	}
	if required && s == "" {
		return "", &ImportError{Field: key, Msg: "is empty"}
	}
	return s, nil
}

func itemToCase(item map[string]any) (support.CaseDetails, []support.Communication, error) {
	var c support.CaseDetails
	var err error
	for _, f := range []struct {
		key      string
		dst      *string
		required bool
	}{
		{"case_id", &c.CaseID, true}, {"timeCreated", &c.TimeCreated, true}, {"display_id", &c.DisplayID, false},
		{"subject", &c.Subject, false}, {"serviceCode", &c.ServiceCode, false}, {"categoryCode", &c.CategoryCode, false},
		{"severityCode", &c.SeverityCode, false}, {"status", &c.Status, false}, {"language", &c.Language, false},
		{"submittedBy", &c.SubmittedBy, false},
	} {
		if *f.dst, err = str(item, f.key, f.required); err != nil {
			return c, nil, err
		}
	}
	if _, err := support.ParseTime(c.TimeCreated); err != nil {
		return c, nil, &ImportError{Field: "timeCreated", Msg: fmt.Sprintf("%q is not a time", c.TimeCreated)}
	}
	var comms []support.Communication
	if v, ok := item["communications"]; ok && v != nil {
		list, ok := v.([]any)
		if !ok {
			return c, nil, &ImportError{Field: "communications", Msg: "must be a list (L)"}
		}
		for j, e := range list {
			m, ok := e.(map[string]any)
			if !ok {
				return c, nil, &ImportError{Field: fmt.Sprintf("communications[%d]", j), Msg: "must be a map (M)"}
			}
			var cm support.Communication
			cm.CaseID = c.CaseID
			for _, f := range []struct {
				key      string
				dst      *string
				required bool
			}{{"body", &cm.Body, false}, {"submittedBy", &cm.SubmittedBy, false}, {"timeCreated", &cm.TimeCreated, true}} {
				s, err := str(m, f.key, f.required)
				if err != nil {
					var ie *ImportError
					errors.As(err, &ie)
					ie.Field = fmt.Sprintf("communications[%d].%s", j, ie.Field)
					return c, nil, ie
				}
				*f.dst = s
			}
			if _, err := support.ParseTime(cm.TimeCreated); err != nil {
				return c, nil, &ImportError{Field: fmt.Sprintf("communications[%d].timeCreated", j), Msg: fmt.Sprintf("%q is not a time", cm.TimeCreated)}
			}
			if as, ok := m["attachmentSet"].([]any); ok {
				for k, a := range as {
					am, ok := a.(map[string]any)
					if !ok {
						return c, nil, &ImportError{Field: fmt.Sprintf("communications[%d].attachmentSet[%d]", j, k), Msg: "must be a map (M)"}
					}
					id, _ := am["attachmentId"].(string)
					name, _ := am["fileName"].(string)
					if id == "" {
						return c, nil, &ImportError{Field: fmt.Sprintf("communications[%d].attachmentSet[%d].attachmentId", j, k), Msg: "is missing"}
					}
					cm.AttachmentSet = append(cm.AttachmentSet, support.AttachmentDetails{AttachmentID: id, FileName: name})
				}
			}
			comms = append(comms, cm)
		}
	}
	return c, comms, nil
}

// ImportResult counts what an import added.
type ImportResult struct {
	Cases, NewCases, Communications, Attachments int
}

// Import stores parsed cases in one transaction: all or nothing. Cases
// already in the archive are merged (messages are de-duplicated); their
// messages will be completed by the next sync if AWS still has them.
func (s *Store) Import(ctx context.Context, account, lang string, cs []support.CaseDetails, comms [][]support.Communication, now time.Time) (*ImportResult, error) {
	res := &ImportResult{}
	err := s.st.Tx(ctx, func(tx *sql.Tx) error {
		for i, c := range cs {
			if c.Language == "" {
				c.Language = lang
			}
			r, err := s.upsertCase(ctx, tx, account, c, now)
			if err != nil {
				return err
			}
			res.Cases++
			if r.isNew {
				res.NewCases++
			}
			stored, err := s.addCommunicationsTx(ctx, tx, r.ref, comms[i], now)
			if err != nil {
				return err
			}
			for j, m := range comms[i] {
				if stored[j].isNew {
					res.Communications++
				}
				for _, a := range m.AllAttachments() {
					if _, err := tx.ExecContext(ctx, s.st.Q(`INSERT INTO case_attachments (case_ref, comm_ref, attachment_id, file_name, status, error, updated_at) VALUES (?, ?, ?, ?, 'failed', ?, ?) ON CONFLICT (case_ref, attachment_id) DO NOTHING`),
						r.ref, stored[j].ref, a.AttachmentID, a.FileName, "imported: the content was not in the import file; the next sync fetches it if AWS still has it", now.UnixMilli()); err != nil {
						return err
					}
					res.Attachments++
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cases: import (nothing was imported): %w", err)
	}
	return res, nil
}
