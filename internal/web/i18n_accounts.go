package web

// accountsCatalog holds the texts of the accounts page (accounts.go).
var accountsCatalog = map[string][4]string{
	"accounts.title": {"AWS accounts", "AWS アカウント", "AWS 账户", "AWS 계정"},
	"accounts.link":  {"Accounts", "アカウント", "账户", "계정"},
	"accounts.intro": {
		"Every account whose Support cases are archived: those in the configuration (aws.accounts) and the member accounts discovered in AWS Organizations (aws.organizations), with the result of the last sync. An account no longer in its organization, suspended or excluded is not synced; its archive is kept.",
		"サポートケースをアーカイブするすべてのアカウント（設定の aws.accounts と、AWS Organizations（aws.organizations）で検出したメンバーアカウント）と、最後の同期の結果です。組織から外れた、停止された、または除外されたアカウントは同期しませんが、アーカイブは残ります。",
		"归档其支持案例的所有账户：配置中的账户（aws.accounts）以及在 AWS Organizations（aws.organizations）中发现的成员账户，并显示上次同步的结果。已离开组织、被暂停或被排除的账户不再同步，其归档保留。",
		"지원 사례를 보관하는 모든 계정: 설정의 계정(aws.accounts)과 AWS Organizations(aws.organizations)에서 발견한 멤버 계정, 그리고 마지막 동기화 결과입니다. 조직에서 빠졌거나 정지되었거나 제외된 계정은 동기화하지 않으며 보관 내용은 유지됩니다.",
	},
	"accounts.name":          {"Account", "アカウント", "账户", "계정"},
	"accounts.id":            {"Account ID", "アカウント ID", "账户 ID", "계정 ID"},
	"accounts.source":        {"Source", "ソース", "来源", "출처"},
	"accounts.source_config": {"configuration", "設定", "配置", "설정"},
	"accounts.status":        {"Status", "状態", "状态", "상태"},
	"accounts.last_sync":     {"Last sync", "最後の同期", "上次同步", "마지막 동기화"},
	"accounts.error":         {"Error", "エラー", "错误", "오류"},
	"accounts.none":          {"No AWS account is configured or discovered yet.", "設定済みまたは検出済みの AWS アカウントはまだありません。", "尚未配置或发现任何 AWS 账户。", "아직 설정되었거나 발견된 AWS 계정이 없습니다."},
	"accounts.never":         {"not synced yet", "未同期", "尚未同步", "아직 동기화 안 됨"},
	"accounts.not_synced":    {"not synced (not an active member)", "同期対象外（有効なメンバーではありません）", "不同步（不是活动成员）", "동기화 안 함(활성 멤버 아님)"},
	"accounts.ok":            {"ok: %d cases, %d new", "成功: %d 件、新規 %d 件", "成功：%d 个案例，新增 %d 个", "성공: 사례 %d건, 새 사례 %d건"},
	"accounts.fail.assume_role": {
		"failed: the member role could not be assumed (check its trust policy and external id)",
		"失敗: メンバーロールを引き受けられません（信頼ポリシーと外部 ID を確認してください）",
		"失败：无法代入成员角色（请检查其信任策略和外部 ID）",
		"실패: 멤버 역할을 맡을 수 없습니다(신뢰 정책과 외부 ID를 확인하세요)",
	},
	"accounts.fail.no_plan": {
		"failed: no Business or Enterprise support plan",
		"失敗: ビジネスまたはエンタープライズのサポートプランがありません",
		"失败：没有商业或企业支持计划",
		"실패: 비즈니스 또는 엔터프라이즈 지원 플랜이 없습니다",
	},
	"accounts.fail.throttled": {"failed: AWS kept throttling", "失敗: AWS のスロットリングが続きました", "失败：AWS 持续限流", "실패: AWS 제한이 계속되었습니다"},
	"accounts.fail.other":     {"failed", "失敗", "失败", "실패"},
	"accounts.orgs":           {"Organizations", "組織", "组织", "조직"},
	"accounts.org_run":        {"Last discovery", "最後の検出", "上次发现", "마지막 검색"},
	"accounts.org_accounts":   {"Active accounts", "有効なアカウント", "活动账户", "활성 계정"},
}

func init() {
	for k, v := range accountsCatalog {
		catalog[k] = v
	}
}
