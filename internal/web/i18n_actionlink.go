package web

// actionLinkCatalog holds the texts of the one-tap link page
// (actionlink.go); it joins the catalog at start-up.
var actionLinkCatalog = map[string][4]string{
	"link.title": {"Alert", "アラート", "告警", "알림"},
	"link.confirm.ack": {
		"Acknowledge alert #%d? Its escalation stops and nobody else is called.",
		"アラート #%d を確認しますか？エスカレーションが止まり、ほかの人には連絡されません。",
		"确认告警 #%d？升级将停止，不会再通知其他人。",
		"알림 #%d을(를) 확인할까요? 에스컬레이션이 멈추고 다른 사람에게는 연락하지 않습니다.",
	},
	"link.confirm.resolve": {
		"Resolve alert #%d? Its escalation stops and the alert is closed.",
		"アラート #%d を解決済みにしますか？エスカレーションが止まり、アラートは閉じられます。",
		"将告警 #%d 标记为已解决？升级将停止，告警将关闭。",
		"알림 #%d을(를) 해결 처리할까요? 에스컬레이션이 멈추고 알림이 닫힙니다.",
	},
	"link.confirm.escalate": {
		"Escalate alert #%d now? The next person is notified at once.",
		"アラート #%d を今すぐエスカレーションしますか？次の人にすぐ連絡します。",
		"立即升级告警 #%d？将马上通知下一个人。",
		"알림 #%d을(를) 지금 에스컬레이션할까요? 다음 사람에게 바로 연락합니다.",
	},
	"link.button.ack":      {"Acknowledge", "確認する", "确认", "확인"},
	"link.button.resolve":  {"Resolve", "解決済みにする", "标记为已解决", "해결 처리"},
	"link.button.escalate": {"Escalate now", "今すぐエスカレーション", "立即升级", "지금 에스컬레이션"},
	"link.once": {
		"This link works once, for this alert only.",
		"このリンクはこのアラートに対して 1 回だけ使えます。",
		"此链接仅对该告警有效，且只能使用一次。",
		"이 링크는 이 알림에만, 한 번만 쓸 수 있습니다.",
	},
	"link.valid_until": {"Link valid until", "リンクの有効期限", "链接有效期至", "링크 유효 기한"},
	"link.expired_at":  {"Link expired", "リンクの期限切れ", "链接过期时间", "링크 만료 시각"},
	"link.used_at":     {"Link used", "リンク使用", "链接使用时间", "링크 사용 시각"},
	"link.done.ack": {
		"Alert #%d is acknowledged. Nobody else will be called for it.",
		"アラート #%d を確認しました。ほかの人には連絡されません。",
		"告警 #%d 已确认，不会再通知其他人。",
		"알림 #%d을(를) 확인했습니다. 다른 사람에게는 연락하지 않습니다.",
	},
	"link.done.resolve": {
		"Alert #%d is resolved.",
		"アラート #%d を解決済みにしました。",
		"告警 #%d 已标记为已解决。",
		"알림 #%d을(를) 해결 처리했습니다.",
	},
	"link.done.escalate": {
		"Alert #%d is escalated: the next person is being notified.",
		"アラート #%d をエスカレーションしました。次の人に連絡しています。",
		"告警 #%d 已升级，正在通知下一个人。",
		"알림 #%d을(를) 에스컬레이션했습니다. 다음 사람에게 연락하고 있습니다.",
	},
	"link.unchanged.ack": {
		"Alert #%d was acknowledged already; nothing changed.",
		"アラート #%d はすでに確認済みでした。変更はありません。",
		"告警 #%d 之前已被确认，没有任何更改。",
		"알림 #%d은(는) 이미 확인되어 있었습니다. 바뀐 것은 없습니다.",
	},
	"link.unchanged.resolve": {
		"Alert #%d was resolved already; nothing changed.",
		"アラート #%d はすでに解決済みでした。変更はありません。",
		"告警 #%d 之前已解决，没有任何更改。",
		"알림 #%d은(는) 이미 해결되어 있었습니다. 바뀐 것은 없습니다.",
	},
	"link.unchanged.escalate": {
		"Alert #%d is moving on to its next step already; nothing changed.",
		"アラート #%d はすでに次の段階に進むところです。変更はありません。",
		"告警 #%d 已在进入下一步，没有任何更改。",
		"알림 #%d은(는) 이미 다음 단계로 넘어가는 중입니다. 바뀐 것은 없습니다.",
	},
	"link.used": {
		"This link was used already. Each link works once; below is the alert as it is now.",
		"このリンクはすでに使われています。リンクは 1 回だけ使えます。アラートの現在の状態は次のとおりです。",
		"此链接已被使用过。每个链接只能使用一次，以下是告警的当前状态。",
		"이 링크는 이미 사용되었습니다. 링크는 한 번만 쓸 수 있습니다. 알림의 현재 상태는 아래와 같습니다.",
	},
	"link.expired": {
		"This link has expired and did nothing. Open the alert in the console to act on it.",
		"このリンクは期限切れのため、何も実行していません。対応するにはコンソールでアラートを開いてください。",
		"此链接已过期，未执行任何操作。请在控制台中打开告警进行处理。",
		"이 링크는 만료되어 아무것도 하지 않았습니다. 처리하려면 콘솔에서 알림을 여세요.",
	},
	"link.busy": {
		"This link is being used right now. Reload this page in a minute to see the result.",
		"このリンクはいま処理中です。1 分ほどしてからページを再読み込みして結果を確認してください。",
		"此链接正在处理中。请稍等一分钟后刷新页面查看结果。",
		"이 링크는 지금 처리 중입니다. 1분쯤 뒤에 페이지를 새로 고쳐 결과를 확인하세요.",
	},
	"link.invalid": {
		"This link is not valid. Check that it was copied whole, or open the alert in the console.",
		"このリンクは無効です。途中で切れていないか確認するか、コンソールでアラートを開いてください。",
		"此链接无效。请检查链接是否完整，或在控制台中打开告警。",
		"이 링크는 유효하지 않습니다. 링크가 잘리지 않았는지 확인하거나 콘솔에서 알림을 여세요.",
	},
	"link.failed.resolved": {
		"Alert #%d is resolved already; nothing was changed.",
		"アラート #%d はすでに解決済みのため、何も変更していません。",
		"告警 #%d 已解决，未做任何更改。",
		"알림 #%d은(는) 이미 해결되어 아무것도 바꾸지 않았습니다.",
	},
	"link.failed.not_escalating": {
		"Alert #%d is not being escalated any more (acknowledged, quiet, or everyone was called); nothing was changed.",
		"アラート #%d はもうエスカレーション中ではありません（確認済み、静観中、または全員に連絡済み）。何も変更していません。",
		"告警 #%d 已不在升级中（已确认、静默中或已通知所有人），未做任何更改。",
		"알림 #%d은(는) 더 이상 에스컬레이션 중이 아닙니다(확인됨, 조용히 하는 중 또는 모두에게 연락함). 아무것도 바꾸지 않았습니다.",
	},
	"link.failed.not_found": {
		"Alert #%d no longer exists.",
		"アラート #%d はもう存在しません。",
		"告警 #%d 已不存在。",
		"알림 #%d은(는) 더 이상 없습니다.",
	},
	"link.rate_limited": {
		"Too many invalid links came from your network. Please try again in %d seconds.",
		"お使いのネットワークから無効なリンクが多すぎます。%d 秒後にもう一度お試しください。",
		"来自您网络的无效链接过多，请在 %d 秒后重试。",
		"사용 중인 네트워크에서 유효하지 않은 링크가 너무 많습니다. %d초 후에 다시 시도하세요.",
	},
	"link.console":          {"Open in the console", "コンソールで開く", "在控制台中打开", "콘솔에서 열기"},
	"chat.kind.oncall":      {"Who is on call", "当番確認", "查看值班", "당번 확인"},
	"alerts.kind.escalated": {"Escalated now", "今すぐエスカレーション", "立即升级", "즉시 에스컬레이션"},
}

func init() {
	for k, v := range actionLinkCatalog {
		catalog[k] = v
	}
}
