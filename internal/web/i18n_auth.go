package web

// authCatalog holds the texts of the password page and of logins with a
// one-time password (password.go, login.go); it joins the catalog at
// start-up like the later capabilities' catalogs.
var authCatalog = map[string][4]string{
	"password.title":        {"Choose your password", "パスワードの設定", "设置密码", "비밀번호 설정"},
	"password.title_change": {"Change your password", "パスワードの変更", "修改密码", "비밀번호 변경"},
	"password.forced": {
		"You logged in with a one-time password. Choose your own password before you continue.",
		"ワンタイムパスワードでログインしました。続行する前に、ご自身のパスワードを設定してください。",
		"您使用一次性密码登录。继续之前，请设置您自己的密码。",
		"일회용 비밀번호로 로그인했습니다. 계속하기 전에 본인의 비밀번호를 설정해 주세요.",
	},
	"password.expires":  {"The one-time password expires at", "ワンタイムパスワードの有効期限：", "一次性密码的有效期至：", "일회용 비밀번호 만료 시각:"},
	"password.current":  {"Current password", "現在のパスワード", "当前密码", "현재 비밀번호"},
	"password.new":      {"New password", "新しいパスワード", "新密码", "새 비밀번호"},
	"password.new_hint": {"At least %d characters.", "%d 文字以上で入力してください。", "至少 %d 个字符。", "%d자 이상 입력해 주세요."},
	"password.again":    {"New password again", "新しいパスワード（確認）", "再次输入新密码", "새 비밀번호 확인"},
	"password.submit":   {"Save password", "パスワードを保存", "保存密码", "비밀번호 저장"},
	"password.mismatch": {
		"The two new passwords differ.",
		"新しいパスワードが一致しません。",
		"两次输入的新密码不一致。",
		"새 비밀번호가 서로 일치하지 않습니다.",
	},
	"password.too_short": {
		"The new password must be at least %d characters long.",
		"新しいパスワードは %d 文字以上にしてください。",
		"新密码至少需要 %d 个字符。",
		"새 비밀번호는 %d자 이상이어야 합니다.",
	},
	"password.same": {
		"The new password must differ from the current one.",
		"新しいパスワードは現在のパスワードと異なるものにしてください。",
		"新密码不能与当前密码相同。",
		"새 비밀번호는 현재 비밀번호와 달라야 합니다.",
	},
	"password.wrong_current": {
		"The current password is not right.",
		"現在のパスワードが正しくありません。",
		"当前密码不正确。",
		"현재 비밀번호가 올바르지 않습니다.",
	},
	"password.expired": {
		"This one-time password has expired. An administrator sets a new one with: opsdesk users passwd %s",
		"このワンタイムパスワードは有効期限が切れています。管理者が次のコマンドで新しいパスワードを設定できます：opsdesk users passwd %s",
		"此一次性密码已过期。管理员可通过以下命令设置新密码：opsdesk users passwd %s",
		"이 일회용 비밀번호는 만료되었습니다. 관리자가 다음 명령으로 새 비밀번호를 설정할 수 있습니다: opsdesk users passwd %s",
	},
	"notice.password_changed": {"Your password has been changed.", "パスワードを変更しました。", "密码已更改。", "비밀번호가 변경되었습니다."},
}

func init() {
	for k, v := range authCatalog {
		catalog[k] = v
	}
}
