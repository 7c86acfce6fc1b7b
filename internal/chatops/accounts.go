package chatops

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/opsdesk/opsdesk/internal/cases"
)

// AccountFinder resolves an account as a person typed it: a configured
// account's name or id, or a discovered member account's id or AWS name
// (*cases.Directory implements it).
type AccountFinder interface {
	Find(ctx context.Context, key string) (cases.Account, bool, error)
}

// accountTexts are the replies about --account, in the reply languages:
// the account asked for, the accounts allowed here, the config key.
var accountTexts = map[string]struct{ unknown, refused string }{
	"zh": {
		unknown: "没有名为 %[1]s 的 AWS 账号。本群可以使用的账号：%[2]s。",
		refused: "本群不能使用账号 %[1]s。可以使用的账号：%[2]s。请让 opsdesk 管理员把它加到配置 %[3]s 中。",
	},
	"ja": {
		unknown: "%[1]s という AWS アカウントはありません。このチャットで使えるアカウント：%[2]s。",
		refused: "このチャットではアカウント %[1]s を使えません。使えるアカウント：%[2]s。opsdesk 管理者に設定 %[3]s への追加を依頼してください。",
	},
	"en": {
		unknown: "There is no AWS account %[1]s. Accounts this chat may use: %[2]s.",
		refused: "This chat may not use the account %[1]s. Accounts it may use: %[2]s. Ask an opsdesk admin to add it to %[3]s.",
	},
	"ko": {
		unknown: "%[1]s라는 AWS 계정이 없습니다. 이 채팅에서 쓸 수 있는 계정: %[2]s.",
		refused: "이 채팅에서는 계정 %[1]s을(를) 쓸 수 없습니다. 쓸 수 있는 계정: %[2]s. opsdesk 관리자에게 설정 %[3]s에 추가해 달라고 요청하세요.",
	},
}

func accountText(lang string) struct{ unknown, refused string } {
	for tag, w := range wordsByLang {
		if w == wordsFor(lang) {
			return accountTexts[tag]
		}
	}
	return accountTexts["zh"]
}

// allowedNames are the accounts a chat may use, as configured: the chat's
// own account first, then its allow-list.
func (s *Service) allowedNames(p *Platform) []string {
	out := []string{s.Account.Name}
	for _, a := range p.Accounts {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// allowed reports whether the chat may use acct: it is the chat's
// account, or an entry of the platform's allow-list names it (by name, id,
// or a discovered account's AWS name).
func (s *Service) allowed(ctx context.Context, p *Platform, acct cases.Account) (bool, error) {
	if acct.Name == s.Account.Name {
		return true, nil
	}
	for _, e := range p.Accounts {
		if e == acct.Name || (acct.ID != "" && e == acct.ID) {
			return true, nil
		}
		if s.Accounts == nil {
			continue
		}
		a, ok, err := s.Accounts.Find(ctx, e)
		if err != nil {
			return false, err
		}
		if ok && a.Name == acct.Name {
			return true, nil
		}
	}
	return false, nil
}

// accountFor resolves the account a create command asked for (typed; ""
// for the chat's own). r is the reply when the account is unknown or not
// allowed in this chat.
func (s *Service) accountFor(ctx context.Context, p *Platform, typed string) (acct cases.Account, r *reply, err error) {
	if typed == "" || typed == s.Account.Name || (s.Account.ID != "" && typed == s.Account.ID) {
		return *s.Account, nil, nil
	}
	t := accountText(p.Language)
	allowed := list(s.allowedNames(p))
	ok := false
	if s.Accounts != nil {
		if acct, ok, err = s.Accounts.Find(ctx, typed); err != nil {
			return cases.Account{}, nil, fmt.Errorf("chatops: find account %q: %w", typed, err)
		}
	}
	if !ok {
		return cases.Account{}, &reply{text: fmt.Sprintf(t.unknown, typed, allowed), result: ResultInvalid, detail: "unknown account " + cut(typed, 64)}, nil
	}
	if yes, err := s.allowed(ctx, p, acct); err != nil {
		return cases.Account{}, nil, err
	} else if !yes {
		return cases.Account{}, &reply{text: fmt.Sprintf(t.refused, typed, allowed, p.AccountsKey), result: ResultForbidden,
			detail: "account " + acct.Name + " not in " + p.AccountsKey}, nil
	}
	return acct, nil, nil
}

// caseAccount is the account of a case named by a person (case id or
// display id): the account the archive has it under, else the chat's.
// With check, an account the chat may not use is refused (resolve,
// reply); reading (show) only needs it to refresh the case.
func (s *Service) caseAccount(ctx context.Context, p *Platform, id string, check bool) (cases.Account, *reply, error) {
	def := *s.Account
	cs, _, err := s.Cases.Get(ctx, id)
	if errors.Is(err, cases.ErrNotFound) {
		return def, nil, nil
	}
	if err != nil {
		return def, nil, err
	}
	if cs.Account == def.Name || s.Accounts == nil {
		return def, nil, nil
	}
	acct, ok, err := s.Accounts.Find(ctx, cs.Account)
	if err != nil {
		return def, nil, fmt.Errorf("chatops: find account %q: %w", cs.Account, err)
	}
	if !ok {
		return def, nil, nil
	}
	if check {
		if yes, err := s.allowed(ctx, p, acct); err != nil {
			return def, nil, err
		} else if !yes {
			t := accountText(p.Language)
			return def, &reply{text: fmt.Sprintf(t.refused, acct.Name, list(s.allowedNames(p)), p.AccountsKey), result: ResultForbidden,
				detail: "account " + acct.Name + " not in " + p.AccountsKey}, nil
		}
	}
	return acct, nil, nil
}
