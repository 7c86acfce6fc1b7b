package contact

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/store"
)

// ApplyDeclared applies oncall.users (on-call as code) at start-up: each
// declared method is added to its user's methods as verified (an existing
// one with the same kind, address and destination takes the declared label
// and language and becomes verified), and a user with declared rules gets
// exactly those rules. Users that do not exist yet are returned in missing
// and left alone. Errors in a declaration are *config.Error naming its key.
func (s *Service) ApplyDeclared(ctx context.Context, users []config.OnCallUser) (missing []string, err error) {
	for i, u := range users {
		key := fmt.Sprintf("oncall.users[%d]", i)
		ids := make([]int64, len(u.ContactMethods))
		now := store.Millis(s.o.Now())
		err := s.st.Tx(ctx, func(tx *sql.Tx) error {
			uid, err := s.userID(ctx, tx, u.Name)
			if err != nil {
				return err
			}
			for j, m := range u.ContactMethods {
				mk := fmt.Sprintf("%s.contact_methods[%d]", key, j)
				addr, err := NormalizeAddress(m.Kind, m.Address, m.Destination, s.o.Destinations)
				if err == nil {
					err = validLabel(m.Label)
				}
				if err == nil && m.Language != "" && !validLanguage(m.Language) {
					err = invalid("language", "%q is not one of en, ja, zh, ko", m.Language)
				}
				var ve *ValidationError
				if errors.As(err, &ve) {
					return &config.Error{Key: mk + "." + ve.Field, Msg: ve.Msg}
				}
				err = tx.QueryRowContext(ctx, s.st.Q(`INSERT INTO contact_methods (user_id, kind, label, address, destination, language, verified_at, created_at, updated_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
					ON CONFLICT (user_id, kind, address, destination) DO UPDATE SET label = excluded.label, language = excluded.language,
						verified_at = CASE WHEN contact_methods.verified_at = 0 THEN excluded.verified_at ELSE contact_methods.verified_at END,
						code_hash = '', updated_at = excluded.updated_at
					RETURNING id`), uid, m.Kind, m.Label, addr, m.Destination, m.Language, now, now, now).Scan(&ids[j])
				if err != nil {
					return fmt.Errorf("contact: declared method %s: %w", mk, err)
				}
			}
			return nil
		})
		if errors.Is(err, ErrNotFound) {
			missing = append(missing, u.Name)
			continue
		}
		if err != nil {
			return missing, err
		}
		if len(u.Rules) == 0 {
			continue
		}
		rules := make([]Rule, len(u.Rules))
		for j, r := range u.Rules {
			idx, _ := r.MethodIndex(u.ContactMethods) // checked by config
			rules[j] = Rule{MethodID: ids[idx], Delay: r.After.D(), Severities: r.Severities}
		}
		if _, err := s.ReplaceRules(ctx, u.Name, rules); err != nil {
			var ve *ValidationError
			if errors.As(err, &ve) {
				// rules[j].delay → oncall.users[i].rules[j].after
				f := strings.Replace(strings.TrimPrefix(ve.Field, "rules"), ".delay", ".after", 1)
				return missing, &config.Error{Key: key + ".rules" + f, Msg: ve.Msg}
			}
			return missing, err
		}
	}
	return missing, nil
}

func validLanguage(l string) bool {
	for _, x := range Languages {
		if x == l {
			return true
		}
	}
	return false
}
