package search

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// benchText is a 2,000-character Japanese support message.
var benchText = func() string {
	const para = `お世話になっております。AWS サポートの山田です。` +
		`お問い合わせいただきました東京リージョン（ap-northeast-1）の EC2 インスタンス i-0abc123def456 で発生した障害について、調査結果をご報告いたします。` +
		`2024年3月15日 14:32（JST）頃、基盤となるハードウェアの故障により、インスタンスのステータスチェックが失敗しておりました。` +
		`当該ホストは自動的に隔離され、インスタンスは別のホストへ移行済みです。` +
		`なお、ＥＢＳボリュームのデータへの影響はございません。Multi-AZ 構成の RDS では、フェイルオーバーが約３０秒で完了しております。` +
		`再発防止のため、Auto Scaling グループとヘルスチェックの設定をご確認いただき、CloudWatch アラームによる監視をお勧めいたします。` +
		`ご不明な点がございましたら、お気軽にお問い合わせください。`
	s := strings.Repeat(para, 2000/utf8.RuneCountInString(para)+1)
	return string([]rune(s)[:2000])
}()

func BenchmarkTokens(b *testing.B) {
	b.SetBytes(int64(len(benchText)))
	for b.Loop() {
		Tokens(benchText)
	}
}

func BenchmarkIndexText(b *testing.B) {
	b.SetBytes(int64(len(benchText)))
	for b.Loop() {
		IndexText(benchText)
	}
}

func BenchmarkParseQuery(b *testing.B) {
	for b.Loop() {
		q := ParseQuery(`障害 "access denied" EC2インスタンス`)
		_ = q.FTS5()
		_ = q.TSQuery()
	}
}

func BenchmarkHighlight(b *testing.B) {
	q := ParseQuery("フェイルオーバー 障害")
	b.SetBytes(int64(len(benchText)))
	for b.Loop() {
		Highlight(benchText, q, 160)
	}
}
