package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/opsdesk/opsdesk/internal/events"
)

// EventsService is what the console needs from the AWS event intake.
type EventsService interface {
	List(ctx context.Context, f events.Filter) ([]*events.Stored, error)
	Get(ctx context.Context, ref int64) (*events.Stored, error)
	Actions(ctx context.Context, ref int64) ([]events.ActionResult, error)
	Counts(ctx context.Context) (map[string]int, error)
	Rules(ctx context.Context) ([]events.Rule, error)
	Rule(ctx context.Context, name string) (*events.Rule, error)
	SaveRule(ctx context.Context, r events.Rule, by string) error
	DeleteRule(ctx context.Context, name string) error
	Replay(ctx context.Context, ref int64) (*events.Received, error)
	Test(ctx context.Context, pattern json.RawMessage, ref int64) (bool, []string, error)
}

// eventRoutes adds the event pages: GET /events, GET /events/{ref},
// POST /events/{ref}/replay, GET /events/rules, GET /events/rules/new,
// GET /events/rules/{name}, POST /events/rules (save or test),
// POST /events/rules/{name}/delete.
func (h *Handler) eventRoutes(mux *http.ServeMux) {
	if h.events == nil {
		return
	}
	mux.Handle("GET /events", h.route(accessMember, h.eventsList))
	mux.Handle("GET /events/rules", h.route(accessMember, h.eventRules))
	mux.Handle("GET /events/rules/new", h.route(accessAdmin, h.eventRuleForm))
	mux.Handle("GET /events/rules/{name}", h.route(accessMember, h.eventRuleForm))
	mux.Handle("POST /events/rules", h.route(accessAdmin, h.eventRuleSave))
	mux.Handle("POST /events/rules/{name}/delete", h.route(accessAdmin, h.eventRuleDelete))
	mux.Handle("GET /events/{ref}", h.route(accessMember, h.eventPage))
	mux.Handle("POST /events/{ref}/replay", h.route(accessWriter, h.eventReplay))
}

// eventPanels: events whose actions failed need attention.
func (h *Handler) eventPanels() []panelFunc {
	if h.events == nil {
		return nil
	}
	return []panelFunc{h.failedEventsPanel}
}

type eventRow struct {
	*events.Stored
	StatusLabel string
}

type eventsListData struct {
	// BaseURL is the console's address, for the sample command.
	BaseURL  string
	Rows     []eventRow
	Filter   events.Filter
	Filtered bool
	Statuses []option
	Rules    []option
	Next     string
}

func (h *Handler) eventRow(p *page, e *events.Stored) eventRow {
	return eventRow{Stored: e, StatusLabel: p.T("events.status." + e.Status)}
}

// eventsList is GET /events: received events, newest first, with filters.
func (h *Handler) eventsList(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title, p.Nav = p.T("events.title"), "events"
	q := r.URL.Query()
	f := events.Filter{Source: strings.TrimSpace(q.Get("source")), DetailType: strings.TrimSpace(q.Get("detail_type")),
		Rule: q.Get("rule"), Status: q.Get("status"), Limit: 50}
	if b, err := strconv.ParseInt(q.Get("before"), 10, 64); err == nil && b > 0 {
		f.Before = b
	}
	switch f.Status {
	case "", events.StatusStored, events.StatusPending, events.StatusDone, events.StatusFailed:
	default:
		f.Status = ""
	}
	list, err := h.events.List(r.Context(), f)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	rules, err := h.events.Rules(r.Context())
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	d := eventsListData{BaseURL: h.baseURL(r), Filter: f, Filtered: f.Source != "" || f.DetailType != "" || f.Rule != "" || f.Status != ""}
	d.Statuses = []option{{Value: "", Label: p.T("events.any"), Selected: f.Status == ""}}
	for _, s := range []string{events.StatusFailed, events.StatusPending, events.StatusDone, events.StatusStored} {
		d.Statuses = append(d.Statuses, option{Value: s, Label: p.T("events.status." + s), Selected: f.Status == s})
	}
	d.Rules = []option{{Value: "", Label: p.T("events.any"), Selected: f.Rule == ""}}
	for _, ru := range rules {
		d.Rules = append(d.Rules, option{Value: ru.Name, Label: ru.Name, Selected: f.Rule == ru.Name})
	}
	for _, e := range list {
		d.Rows = append(d.Rows, h.eventRow(p, e))
	}
	if len(list) == f.Limit {
		v := url.Values{}
		for k, val := range map[string]string{"source": f.Source, "detail_type": f.DetailType, "rule": f.Rule, "status": f.Status} {
			if val != "" {
				v.Set(k, val)
			}
		}
		v.Set("before", strconv.FormatInt(list[len(list)-1].Ref, 10))
		d.Next = "/events?" + v.Encode()
	}
	h.render(w, r, p, http.StatusOK, "events", d)
}

type eventPageData struct {
	Event   eventRow
	Pretty  string
	Runs    []eventRun
	CanEdit bool
}

type eventRun struct {
	Run     int
	Actions []eventAction
}

type eventAction struct {
	events.ActionResult
	Status      string
	StatusLabel string
	Target      string
	// Skipped: the action did not run because the capability it serves is
	// not set up here; SkipReason is the worker's reason, SkipNote the
	// rule's localized explanation.
	Skipped    bool
	SkipReason string
	SkipNote   string
}

// eventPage is GET /events/{ref}: the event as stored, the rules it
// matched and every action's outcome, run by run.
func (h *Handler) eventPage(w http.ResponseWriter, r *http.Request, p *page) {
	ref, err := strconv.ParseInt(r.PathValue("ref"), 10, 64)
	if err != nil {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.event")
		return
	}
	ev, err := h.events.Get(r.Context(), ref)
	if errors.Is(err, events.ErrNotFound) {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.event")
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	acts, err := h.events.Actions(r.Context(), ref)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	p.Title, p.Nav = p.T("events.event_title", ev.DetailType), "events"
	d := eventPageData{Event: h.eventRow(p, ev), CanEdit: p.User.Role != "viewer"}
	var buf bytes.Buffer
	if json.Indent(&buf, ev.Raw, "", "  ") == nil {
		d.Pretty = buf.String()
	} else {
		d.Pretty = string(ev.Raw)
	}
	for _, a := range acts {
		if len(d.Runs) == 0 || d.Runs[len(d.Runs)-1].Run != a.Run {
			d.Runs = append(d.Runs, eventRun{Run: a.Run})
		}
		ea := eventAction{ActionResult: a, Status: actionBadge(a.Status), StatusLabel: p.T("events.action." + a.Status)}
		if why, ok := a.SkipReason(); ok {
			ea.Skipped, ea.SkipReason, ea.Status, ea.StatusLabel = true, why, "ev-stored", p.T("events.action.skipped")
			ea.SkipNote = h.ruleSkipNote(p, a.Rule, events.OriginBuiltin)
		}
		switch a.Type {
		case events.ActionNotify:
			ea.Target = a.Spec.Destination
		case events.ActionAlert:
			ea.Target = strings.TrimSpace(a.Spec.Op + " " + a.Spec.System)
		}
		ea.Error = h.scrub(ea.Error)
		d.Runs[len(d.Runs)-1].Actions = append(d.Runs[len(d.Runs)-1].Actions, ea)
	}
	h.render(w, r, p, http.StatusOK, "event", d)
}

// actionBadge maps an action status onto the badge classes the stylesheet
// has (delivered, failed, pending).
func actionBadge(s string) string {
	if s == "done" {
		return "delivered"
	}
	return s
}

// eventReplay is POST /events/{ref}/replay: run the event through the
// current rules again.
func (h *Handler) eventReplay(w http.ResponseWriter, r *http.Request, p *page) {
	ref, err := strconv.ParseInt(r.PathValue("ref"), 10, 64)
	if err != nil {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.event")
		return
	}
	_, err = h.events.Replay(r.Context(), ref)
	if errors.Is(err, events.ErrNotFound) {
		h.renderError(w, r, p, http.StatusNotFound, "notfound.event")
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	h.log.Info("web: event replayed", "event", ref, "user", p.User.Name)
	_ = h.audit.Record(r.Context(), "event.replay", "event #"+strconv.FormatInt(ref, 10), "")
	http.Redirect(w, r, "/events/"+strconv.FormatInt(ref, 10)+"?notice=event_replayed", http.StatusSeeOther)
}

type ruleRow struct {
	events.Rule
	PatternText string
	ActionsText string
	Editable    bool
	// SkipNote says why this built-in rule skips its actions here.
	SkipNote string
}

// builtinRuleTexts are the built-in rules' descriptions in the console's
// languages (events.Builtin's are English, for the API and the CLI).
var builtinRuleTexts = map[string]string{
	events.RuleSupportCaseUpdate: "events.builtin.support_case_update",
	events.RuleAlarmStateChange:  "events.builtin.cloudwatch_alarm",
	events.RuleConnectContact:    "events.builtin.connect_contact",
	events.RuleHealth:            "events.builtin.health",
}

// ruleRowOf is a rule as the pages show it: the built-in rules' texts in
// the page's language, and why a built-in rule skips here.
func (h *Handler) ruleRowOf(p *page, ru events.Rule) ruleRow {
	if k, ok := builtinRuleTexts[ru.Name]; ok && ru.Origin == events.OriginBuiltin {
		ru.Description = p.T(k)
	}
	row := ruleRow{Rule: ru, Editable: ru.Origin == events.OriginConsole, SkipNote: h.ruleSkipNote(p, ru.Name, ru.Origin)}
	var buf bytes.Buffer
	if json.Indent(&buf, ru.Pattern, "", "  ") == nil {
		row.PatternText = buf.String()
	} else {
		row.PatternText = string(ru.Pattern)
	}
	b, _ := json.MarshalIndent(ru.Actions, "", "  ")
	row.ActionsText = string(b)
	return row
}

// ruleSkipNote says, in the page's language, why a built-in rule skips
// its actions in this opsdesk (the capability it serves is not set up;
// see events.NotConfigured), or "".
func (h *Handler) ruleSkipNote(p *page, name, origin string) string {
	if origin != events.OriginBuiltin {
		return ""
	}
	switch name {
	case events.RuleSupportCaseUpdate:
		if len(h.cfg.AWS.Accounts) == 0 {
			return p.T("events.skip.no_accounts")
		}
	case events.RuleAlarmStateChange:
		if h.cfg.Alerts.DefaultSystem == "" {
			return p.T("events.skip.no_default_system")
		}
	}
	return ""
}

// eventRules is GET /events/rules.
func (h *Handler) eventRules(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title, p.Nav = p.T("events.rules_title"), "events"
	rules, err := h.events.Rules(r.Context())
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	var rows []ruleRow
	for _, ru := range rules {
		rows = append(rows, h.ruleRowOf(p, ru))
	}
	h.render(w, r, p, http.StatusOK, "event_rules", struct {
		Rows    []ruleRow
		CanEdit bool
	}{rows, p.User.CanAdmin()})
}

type ruleFormData struct {
	New         bool
	ReadOnly    bool
	Origin      string
	Name        string
	Description string
	Pattern     string
	Actions     string
	Enabled     bool
	Error       string
	ErrorField  string
	TestRef     string
	Tested      bool
	TestMatched bool
	TestReasons []string
	TestError   string
	// SkipNote says why this built-in rule skips its actions here.
	SkipNote string
	// Destinations are the configured destinations a notify action can
	// name.
	Destinations []destChoice
}

// ruleNamePattern is the HTML pattern of a rule name: what
// config.ValidateName accepts (a letter, digit or "_", then letters,
// digits, ".", "_", "-"). Browsers compile it with the v flag
// (unicodeSets), where a "-" inside a class must be escaped; an invalid
// pattern is ignored, and the field goes unchecked.
const ruleNamePattern = `[A-Za-z0-9_][A-Za-z0-9._\-]*`

// ruleExampleActions is what a new rule's actions start as: a notify
// action to the first configured destination, or, with none, store (keep
// the matched events), so that saving the example as it is works.
func (h *Handler) ruleExampleActions() string {
	if len(h.cfg.Destinations) == 0 {
		return "[\n  {\"type\": \"store\"}\n]"
	}
	dest, _ := json.Marshal(h.cfg.Destinations[0].Name)
	return `[
  {"type": "notify", "destination": ` + string(dest) + `,
   "title": "{{index . \"detail-type\"}}: {{field \"detail.alarmName\"}}"}
]`
}

// ruleDestinations lists the destinations a notify action can name.
func (h *Handler) ruleDestinations() []destChoice {
	out := make([]destChoice, 0, len(h.cfg.Destinations))
	for _, d := range h.cfg.Destinations {
		out = append(out, destChoice{Name: d.Name, Type: d.Type})
	}
	return out
}

// eventRuleForm is GET /events/rules/new and /events/rules/{name}.
func (h *Handler) eventRuleForm(w http.ResponseWriter, r *http.Request, p *page) {
	p.Nav = "events"
	name := r.PathValue("name")
	d := ruleFormData{New: name == "", Enabled: true, Pattern: "{\n  \"source\": [\"aws.cloudwatch\"]\n}", Actions: h.ruleExampleActions(),
		TestRef: r.URL.Query().Get("event"), Destinations: h.ruleDestinations()}
	if name != "" {
		ru, err := h.events.Rule(r.Context(), name)
		if errors.Is(err, events.ErrNotFound) {
			h.renderError(w, r, p, http.StatusNotFound, "notfound.rule")
			return
		}
		if err != nil {
			h.serverError(w, r, p, err)
			return
		}
		row := h.ruleRowOf(p, *ru)
		d.Name, d.Description, d.Pattern, d.Actions, d.Enabled, d.Origin = ru.Name, row.Description, row.PatternText, row.ActionsText, ru.Enabled, ru.Origin
		d.SkipNote = row.SkipNote
		d.ReadOnly = !row.Editable || !p.User.CanAdmin()
	}
	if d.New {
		p.Title = p.T("events.rule_new")
	} else {
		p.Title = p.T("events.rule_title", d.Name)
	}
	h.render(w, r, p, http.StatusOK, "event_rule", d)
}

// eventRuleSave is POST /events/rules: "test" checks the pattern against a
// stored event, "save" validates and stores the rule.
func (h *Handler) eventRuleSave(w http.ResponseWriter, r *http.Request, p *page) {
	p.Nav = "events"
	d := ruleFormData{
		New: r.PostFormValue("new") == "1", Name: strings.TrimSpace(r.PostFormValue("name")), Description: strings.TrimSpace(r.PostFormValue("description")),
		Pattern: r.PostFormValue("pattern"), Actions: r.PostFormValue("actions"), Enabled: r.PostFormValue("enabled") == "1",
		TestRef: strings.TrimSpace(r.PostFormValue("event")), Destinations: h.ruleDestinations(),
	}
	if d.New {
		p.Title = p.T("events.rule_new")
	} else {
		p.Title = p.T("events.rule_title", d.Name)
	}
	fail := func(field, msg string) {
		d.Error, d.ErrorField = msg, field
		h.render(w, r, p, http.StatusUnprocessableEntity, "event_rule", d)
	}
	if r.PostFormValue("op") == "test" {
		ref, err := strconv.ParseInt(strings.TrimPrefix(d.TestRef, "#"), 10, 64)
		if err != nil {
			fail("event", p.T("events.test_ref_invalid"))
			return
		}
		matched, reasons, err := h.events.Test(r.Context(), json.RawMessage(d.Pattern), ref)
		var fe *events.FieldError
		switch {
		case errors.As(err, &fe):
			fail(fe.Field, fe.Error())
			return
		case errors.Is(err, events.ErrNotFound):
			fail("event", p.T("events.test_ref_unknown", ref))
			return
		case err != nil:
			d.TestError = err.Error()
		}
		d.Tested, d.TestMatched, d.TestReasons = true, matched, reasons
		_ = h.audit.Record(r.Context(), "rule.test", "rule "+d.Name, fmt.Sprintf("against event #%d: matched %t", ref, matched))
		h.render(w, r, p, http.StatusOK, "event_rule", d)
		return
	}
	ru := events.Rule{Name: d.Name, Description: d.Description, Pattern: json.RawMessage(d.Pattern), Enabled: d.Enabled}
	dec := json.NewDecoder(strings.NewReader(d.Actions))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ru.Actions); err != nil {
		fail("actions", p.T("events.actions_invalid", err.Error()))
		return
	}
	var before *events.Rule
	if old, err := h.events.Rule(r.Context(), d.Name); err == nil {
		if d.New {
			fail("name", p.T("events.rule_exists", d.Name))
			return
		}
		before = old
	}
	err := h.events.SaveRule(r.Context(), ru, p.User.Name)
	var fe *events.FieldError
	switch {
	case errors.As(err, &fe):
		fail(strings.SplitN(fe.Field, "[", 2)[0], fe.Error())
		return
	case errors.Is(err, events.ErrReadOnly):
		fail("name", p.T("events.rule_read_only"))
		return
	case err != nil:
		h.serverError(w, r, p, err)
		return
	}
	h.log.Info("web: event rule saved", "rule", ru.Name, "user", p.User.Name)
	h.recordRuleSave(r, before, ru)
	http.Redirect(w, r, "/events/rules?notice=rule_saved", http.StatusSeeOther)
}

// eventRuleDelete is POST /events/rules/{name}/delete.
func (h *Handler) eventRuleDelete(w http.ResponseWriter, r *http.Request, p *page) {
	name := r.PathValue("name")
	err := h.events.DeleteRule(r.Context(), name)
	switch {
	case errors.Is(err, events.ErrNotFound):
		h.renderError(w, r, p, http.StatusNotFound, "notfound.rule")
		return
	case errors.Is(err, events.ErrReadOnly):
		h.renderError(w, r, p, http.StatusConflict, "events.rule_read_only")
		return
	case err != nil:
		h.serverError(w, r, p, err)
		return
	}
	h.log.Info("web: event rule deleted", "rule", name, "user", p.User.Name)
	_ = h.audit.Record(r.Context(), "rule.delete", "rule "+name, "")
	http.Redirect(w, r, "/events/rules?notice=rule_deleted", http.StatusSeeOther)
}

// failedEventsPanel shows events whose actions failed.
func (h *Handler) failedEventsPanel(r *http.Request, p *page) (*panel, error) {
	counts, err := h.events.Counts(r.Context())
	if err != nil {
		return nil, err
	}
	n := counts[events.StatusFailed]
	total := 0
	for _, c := range counts {
		total += c
	}
	if total == 0 {
		return nil, nil
	}
	var rows []eventRow
	f := events.Filter{Limit: 5}
	if n > 0 {
		f.Status = events.StatusFailed
	}
	list, err := h.events.List(r.Context(), f)
	if err != nil {
		return nil, err
	}
	for _, e := range list {
		rows = append(rows, h.eventRow(p, e))
	}
	body, err := h.partial("panel-events", p, rows)
	if err != nil {
		return nil, err
	}
	pn := &panel{Key: "events", Title: p.T("home.events.title"), Attention: n, Body: body, MoreURL: "/events", MoreLabel: p.T("home.events.all")}
	if n > 0 {
		pn.AttentionText = p.TN("home.events.failed", n)
		pn.AttentionURL = "/events?status=failed"
		pn.MoreURL = "/events?status=failed"
	}
	return pn, nil
}

// eventsCatalog holds the event pages' texts (see i18n.go).
var eventsCatalog = map[string][4]string{
	"events.title":       {"Events", "イベント", "事件", "이벤트"},
	"events.rules_link":  {"Rules", "ルール", "规则", "규칙"},
	"events.rules_title": {"Event rules", "イベントルール", "事件规则", "이벤트 규칙"},
	"events.source":      {"Source", "ソース", "来源", "소스"},
	"events.detail_type": {"Detail type", "詳細タイプ", "详细类型", "세부 유형"},
	"events.rule":        {"Rule", "ルール", "规则", "규칙"},
	"events.status":      {"Status", "状態", "状态", "상태"},
	"events.any":         {"Any", "すべて", "全部", "전체"},
	"events.received":    {"Received", "受信日時", "接收时间", "수신 시각"},
	"events.matched":     {"Matched rules", "一致したルール", "匹配的规则", "일치한 규칙"},
	"events.older":       {"Older events →", "さらに古いイベント →", "更早的事件 →", "이전 이벤트 →"},
	"events.none_match":  {"No event matches these filters.", "条件に一致するイベントはありません。", "没有符合筛选条件的事件。", "조건에 맞는 이벤트가 없습니다."},
	"events.empty":       {"No events received yet.", "まだイベントを受信していません。", "尚未收到任何事件。", "아직 수신한 이벤트가 없습니다."},
	"events.empty_how": {
		"Point an EventBridge API destination, an SNS subscription or the opsdesk Lambda function at POST /api/v1/events with an integration token, or try a sample:",
		"EventBridge の API 送信先、SNS サブスクリプション、または opsdesk の Lambda 関数から、統合トークン付きで POST /api/v1/events に送信してください。サンプルで試すこともできます：",
		"请将 EventBridge API 目标、SNS 订阅或 opsdesk Lambda 函数配置为携带集成令牌向 POST /api/v1/events 发送事件，也可以先用示例试一试：",
		"EventBridge API 대상, SNS 구독 또는 opsdesk Lambda 함수가 통합 토큰과 함께 POST /api/v1/events 로 보내도록 설정하거나, 샘플로 먼저 시험해 보세요:",
	},
	"events.status.stored":  {"stored", "保存のみ", "仅保存", "저장만"},
	"events.status.pending": {"running", "実行中", "执行中", "실행 중"},
	"events.status.done":    {"done", "完了", "已完成", "완료"},
	"events.status.failed":  {"action failed", "アクション失敗", "动作失败", "작업 실패"},
	"events.action.pending": {"pending", "待機中", "等待中", "대기 중"},
	"events.action.done":    {"done", "完了", "已完成", "완료"},
	"events.action.failed":  {"failed", "失敗", "失败", "실패"},
	"events.action.skipped": {"skipped", "スキップ", "已跳过", "건너뜀"},
	"events.skip.no_accounts": {
		"Skipped here: no AWS account is configured (aws.accounts), so there is no case archive to sync. Support Case Update events are stored; add an account to archive its cases.",
		"この環境ではスキップします：AWS アカウント（aws.accounts）が設定されていないため、同期先のケースアーカイブがありません。Support Case Update イベントは保存されます。ケースを保存するにはアカウントを追加してください。",
		"此处跳过：未配置 AWS 账户（aws.accounts），没有可同步的案例存档。Support Case Update 事件会被保存；如需存档案例，请添加账户。",
		"여기서는 건너뜁니다: AWS 계정(aws.accounts)이 설정되어 있지 않아 동기화할 사례 아카이브가 없습니다. Support Case Update 이벤트는 저장됩니다. 사례를 보관하려면 계정을 추가하세요.",
	},
	"events.skip.no_default_system": {
		"alerts.default_system is not set: an alarm that names no system (tag it \"system\") is stored and skipped here; an alarm that names one opens an alert for that system's call list.",
		"alerts.default_system が設定されていません。system を指定しないアラーム（タグ \"system\" を付けてください）は保存のみでスキップします。system を指定したアラームはそのシステムの呼び出しリストでアラートを開きます。",
		"未设置 alerts.default_system：未指明系统的告警（请加上标签 \"system\"）只会保存并跳过；指明系统的告警会按该系统的呼叫名单创建告警。",
		"alerts.default_system이 설정되어 있지 않습니다. 시스템을 지정하지 않은 경보(태그 \"system\"을 붙이세요)는 저장만 하고 건너뜁니다. 시스템을 지정한 경보는 그 시스템의 호출 목록으로 알림을 엽니다.",
	},
	"events.builtin.support_case_update": {
		"AWS Support case created, answered, resolved or reopened: sync that case into the archive now.",
		"AWS サポートケースの作成・回答・解決・再オープン：そのケースをすぐにアーカイブへ同期します。",
		"AWS 支持案例被创建、答复、解决或重新开启：立即将该案例同步到存档。",
		"AWS Support 사례가 생성·답변·해결·재개됨: 해당 사례를 즉시 아카이브로 동기화합니다.",
	},
	"events.builtin.cloudwatch_alarm": {
		"CloudWatch alarm state change: ALARM opens an alert for phone escalation, OK resolves it.",
		"CloudWatch アラームの状態変化：ALARM で電話エスカレーションのアラートを開き、OK で解決します。",
		"CloudWatch 告警状态变化：ALARM 时创建告警并进行电话升级，OK 时将其解决。",
		"CloudWatch 경보 상태 변경: ALARM이면 전화 에스컬레이션 알림을 열고, OK이면 해결합니다.",
	},
	"events.builtin.connect_contact": {
		"Amazon Connect contact event: tells the phone escalation at once how a call ended, instead of waiting for its next poll.",
		"Amazon Connect のコンタクトイベント：通話の終わり方を次の確認を待たずにすぐ電話エスカレーションへ伝えます。",
		"Amazon Connect 联系事件：立即告知电话升级通话如何结束，无需等待下一次轮询。",
		"Amazon Connect 컨택 이벤트: 다음 확인을 기다리지 않고 통화가 어떻게 끝났는지 바로 전화 에스컬레이션에 알립니다.",
	},
	"events.event_title":   {"Event: %s", "イベント: %s", "事件：%s", "이벤트: %s"},
	"events.event_id":      {"Event id", "イベント ID", "事件 ID", "이벤트 ID"},
	"events.account":       {"Account", "アカウント", "账户", "계정"},
	"events.region":        {"Region", "リージョン", "区域", "리전"},
	"events.time":          {"Event time", "発生日時", "发生时间", "발생 시각"},
	"events.via":           {"via %s (%s)", "経路: %s（%s）", "途径：%s（%s）", "경로: %s (%s)"},
	"events.no_rule":       {"no rule (stored only)", "一致なし（保存のみ）", "无匹配规则（仅保存）", "일치 규칙 없음(저장만)"},
	"events.actions":       {"Actions", "アクション", "动作", "작업"},
	"events.replay_n":      {"Replay %d", "再実行 %d", "重放 %d", "재실행 %d"},
	"events.payload":       {"Event as matched by rules", "ルール照合に使うイベント", "用于规则匹配的事件", "규칙 매칭에 쓰이는 이벤트"},
	"events.replay":        {"Replay through current rules", "現在のルールで再実行", "按当前规则重放", "현재 규칙으로 재실행"},
	"events.new_rule_from": {"New rule tested on this event", "このイベントでルールを作成", "以此事件新建规则", "이 이벤트로 규칙 만들기"},
	"events.rules_intro": {
		"Each event is matched against every enabled rule (EventBridge pattern syntax); every matching rule's actions run. Built-in rules and rules from the config file are read-only here.",
		"受信したイベントは有効なすべてのルール（EventBridge のパターン構文）と照合され、一致したルールのアクションがすべて実行されます。組み込みルールと設定ファイルのルールはここでは変更できません。",
		"每个事件都会与所有已启用的规则（EventBridge 模式语法）进行匹配，匹配到的规则的动作都会执行。内置规则和配置文件中的规则在此处只读。",
		"수신한 이벤트는 활성화된 모든 규칙(EventBridge 패턴 문법)과 비교되며, 일치한 규칙의 작업이 모두 실행됩니다. 기본 제공 규칙과 설정 파일의 규칙은 여기서 수정할 수 없습니다.",
	},
	"events.origin.builtin":  {"built-in", "組み込み", "内置", "기본 제공"},
	"events.origin.config":   {"config file", "設定ファイル", "配置文件", "설정 파일"},
	"events.origin.console":  {"console", "コンソール", "控制台", "콘솔"},
	"events.disabled":        {"disabled", "無効", "已停用", "비활성"},
	"events.matching_events": {"matching events", "一致したイベント", "匹配的事件", "일치한 이벤트"},
	"events.rule_new":        {"New rule", "新しいルール", "新建规则", "새 규칙"},
	"events.rule_title":      {"Rule %s", "ルール %s", "规则 %s", "규칙 %s"},
	"events.rule_name":       {"Name", "名前", "名称", "이름"},
	"events.rule_name_hint": {
		"Letters, digits, '.', '_' and '-', beginning with a letter, a digit or '_'; at most 64 characters.",
		"英数字と「.」「_」「-」。先頭は英数字か「_」。64 文字まで。",
		"字母、数字和“.”“_”“-”，须以字母、数字或“_”开头，最多 64 个字符。",
		"영문자, 숫자, '.', '_', '-'만 쓰며 영문자, 숫자 또는 '_'로 시작합니다. 최대 64자.",
	},
	"events.destinations": {"Destinations a notify action can name:", "notify アクションで指定できる送信先：", "notify 动作可使用的推送目标：", "notify 작업에 지정할 수 있는 전송 대상:"},
	"events.no_destinations": {
		"No destination is configured, so a notify action cannot be saved yet (use store or alert, or add a destination to the config file):",
		"送信先が設定されていないため、notify アクションはまだ保存できません（store か alert を使うか、設定ファイルに送信先を追加してください）：",
		"尚未配置推送目标，因此暂时无法保存 notify 动作（请使用 store 或 alert，或在配置文件中添加推送目标）：",
		"전송 대상이 설정되어 있지 않아 notify 작업은 아직 저장할 수 없습니다(store나 alert를 쓰거나 설정 파일에 전송 대상을 추가하세요):",
	},
	"events.rule_description": {"Description", "説明", "说明", "설명"},
	"events.rule_pattern":     {"Event pattern (JSON)", "イベントパターン（JSON）", "事件模式（JSON）", "이벤트 패턴(JSON)"},
	"events.pattern_hint": {
		"EventBridge syntax: exact values, prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, exists, cidr, $or.",
		"EventBridge の構文：完全一致、prefix、suffix、equals-ignore-case、wildcard、anything-but、numeric、exists、cidr、$or。",
		"EventBridge 语法：精确值、prefix、suffix、equals-ignore-case、wildcard、anything-but、numeric、exists、cidr、$or。",
		"EventBridge 문법: 정확한 값, prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, exists, cidr, $or.",
	},
	"events.rule_actions": {"Actions (JSON list)", "アクション（JSON 配列）", "动作（JSON 列表）", "작업(JSON 목록)"},
	"events.actions_hint": {
		`Types: notify (destination, title, template), alert (op: open|resolve|auto, system, severity), sync_case, store. Templates reach fields as {{field "detail.state.value"}}.`,
		`種類：notify（destination, title, template）、alert（op: open|resolve|auto, system, severity）、sync_case、store。テンプレートでは {{field "detail.state.value"}} のように項目を参照します。`,
		`类型：notify（destination、title、template）、alert（op: open|resolve|auto、system、severity）、sync_case、store。模板中用 {{field "detail.state.value"}} 引用字段。`,
		`유형: notify(destination, title, template), alert(op: open|resolve|auto, system, severity), sync_case, store. 템플릿에서는 {{field "detail.state.value"}} 처럼 필드를 참조합니다.`,
	},
	"events.rule_enabled":     {"Enabled", "有効", "启用", "활성화"},
	"events.rule_save":        {"Save rule", "ルールを保存", "保存规则", "규칙 저장"},
	"events.rule_delete":      {"Delete rule", "ルールを削除", "删除规则", "규칙 삭제"},
	"events.test_title":       {"Test against a stored event", "保存済みイベントで試す", "用已保存的事件测试", "저장된 이벤트로 시험"},
	"events.test_ref":         {"Event number (from its page address /events/N)", "イベント番号（ページのアドレス /events/N の N）", "事件编号（页面地址 /events/N 中的 N）", "이벤트 번호(페이지 주소 /events/N 의 N)"},
	"events.test":             {"Test pattern", "パターンを試す", "测试模式", "패턴 시험"},
	"events.test_matched":     {"The pattern matches this event.", "このイベントはパターンに一致します。", "该事件与模式匹配。", "이 이벤트는 패턴과 일치합니다."},
	"events.test_not_matched": {"The pattern does not match this event.", "このイベントはパターンに一致しません。", "该事件与模式不匹配。", "이 이벤트는 패턴과 일치하지 않습니다."},
	"events.test_ref_invalid": {"Enter the number of a stored event.", "保存済みイベントの番号を入力してください。", "请输入已保存事件的编号。", "저장된 이벤트의 번호를 입력하세요."},
	"events.test_ref_unknown": {"There is no event number %d.", "イベント番号 %d はありません。", "不存在编号为 %d 的事件。", "이벤트 번호 %d 은(는) 없습니다."},
	"events.actions_invalid":  {"actions: not a JSON list of actions: %s", "actions: アクションの JSON 配列ではありません: %s", "actions：不是动作的 JSON 列表：%s", "actions: 작업의 JSON 목록이 아닙니다: %s"},
	"events.rule_exists":      {"name: a rule named %q exists already.", "name: ルール %q は既にあります。", "name：已存在名为 %q 的规则。", "name: %q 규칙이 이미 있습니다."},
	"events.rule_read_only": {
		"This rule is built in or comes from the config file; change it there (events.rules, events.disable_rules).",
		"このルールは組み込みか設定ファイルのものです。設定ファイル（events.rules、events.disable_rules）で変更してください。",
		"此规则为内置规则或来自配置文件，请在配置文件（events.rules、events.disable_rules）中修改。",
		"이 규칙은 기본 제공이거나 설정 파일에서 온 것입니다. 설정 파일(events.rules, events.disable_rules)에서 변경하세요.",
	},
	"events.rule_viewer":     {"Viewers can read rules but not change them.", "閲覧者はルールを変更できません。", "查看者只能查看规则，不能修改。", "뷰어는 규칙을 볼 수만 있고 변경할 수 없습니다."},
	"notfound.event":         {"There is no such event.", "該当するイベントはありません。", "没有此事件。", "해당 이벤트가 없습니다."},
	"notfound.rule":          {"There is no rule with this name.", "この名前のルールはありません。", "没有此名称的规则。", "이 이름의 규칙이 없습니다."},
	"notice.event_replayed":  {"The event was run through the current rules again.", "イベントを現在のルールで再実行しました。", "已按当前规则重新处理该事件。", "이벤트를 현재 규칙으로 다시 실행했습니다."},
	"notice.rule_saved":      {"Rule saved; it applies to events received from now on.", "ルールを保存しました。これから受信するイベントに適用されます。", "规则已保存，将应用于此后收到的事件。", "규칙을 저장했습니다. 앞으로 수신하는 이벤트에 적용됩니다."},
	"notice.rule_deleted":    {"Rule deleted.", "ルールを削除しました。", "规则已删除。", "규칙을 삭제했습니다."},
	"home.events.title":      {"AWS events", "AWS イベント", "AWS 事件", "AWS 이벤트"},
	"home.events.all":        {"All events", "すべてのイベント", "全部事件", "모든 이벤트"},
	"home.events.failed":     {"%d events whose actions failed", "アクションが失敗したイベント %d 件", "%d 个事件的动作执行失败", "작업이 실패한 이벤트 %d건"},
	"home.events.failed_one": {"1 event whose actions failed", "アクションが失敗したイベント 1 件", "1 个事件的动作执行失败", "작업이 실패한 이벤트 1건"},
}

// recordRuleSave writes a saved rule to the audit log: rule.create for a
// new one; for an existing one rule.enable or rule.disable when only its
// switch moved, else rule.update.
func (h *Handler) recordRuleSave(r *http.Request, before *events.Rule, ru events.Rule) {
	state := "disabled"
	if ru.Enabled {
		state = "enabled"
	}
	action := "rule.create"
	if before != nil {
		action = "rule.update"
		same := before.Description == ru.Description && bytes.Equal(compactJSON(before.Pattern), compactJSON(ru.Pattern))
		if same && before.Enabled != ru.Enabled {
			action = "rule.disable"
			if ru.Enabled {
				action = "rule.enable"
			}
		}
	}
	_ = h.audit.Record(r.Context(), action, "rule "+ru.Name, state)
}

// compactJSON is raw without insignificant spaces (raw itself if it is not
// JSON).
func compactJSON(raw []byte) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return raw
	}
	return b.Bytes()
}
