package contact

import (
	"fmt"
	"strings"
)

// The texts opsdesk sends to a contact method, in en, ja, zh, ko (the
// console's languages). A code is written digit by digit with commas, so
// a voice call reads "1, 2, 3" rather than "one hundred twenty-three".
var texts = map[string][4]string{
	"code.subject": {"opsdesk verification code", "opsdesk 確認コード", "opsdesk 验证码", "opsdesk 인증 코드"},
	"code.text": {
		"Your opsdesk verification code is %s. It expires in 10 minutes.",
		"opsdesk の確認コードは %s です。10 分間有効です。",
		"您的 opsdesk 验证码是 %s，10 分钟内有效。",
		"opsdesk 인증 코드는 %s 입니다. 10분 동안 유효합니다.",
	},
	"test.subject": {"opsdesk test notification", "opsdesk テスト通知", "opsdesk 测试通知", "opsdesk 테스트 알림"},
	"test.text": {
		"This is a test from opsdesk: this is how you will be notified when you are on call.",
		"opsdesk からのテストです。オンコール時はこの方法で通知されます。",
		"这是来自 opsdesk 的测试：值班时将通过此方式通知您。",
		"opsdesk 테스트입니다. 온콜 중에는 이 방법으로 알림을 받습니다.",
	},
}

var langIndex = map[string]int{"en": 0, "ja": 1, "zh": 2, "ko": 3}

// text returns the text of key in lang (English when unknown).
func text(lang, key string, args ...any) string {
	t := texts[key][langIndex[lang]]
	if len(args) > 0 {
		return fmt.Sprintf(t, args...)
	}
	return t
}

// spell writes a code digit by digit: "1, 2, 3, 4, 5, 6" for a call, the
// code itself for text.
func spell(code string, voice bool) string {
	if !voice {
		return code
	}
	return strings.Join(strings.Split(code, ""), ", ")
}
