package fake

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"
)

// Wire shapes of the fake's answers (JSON names from the API reference).
type (
	scCase struct {
		CaseID               string    `json:"caseId"`
		DisplayID            string    `json:"displayId"`
		Subject              string    `json:"subject"`
		Status               string    `json:"status"`
		ServiceCode          string    `json:"serviceCode"`
		CategoryCode         string    `json:"categoryCode"`
		SeverityCode         string    `json:"severityCode"`
		SubmittedBy          string    `json:"submittedBy"`
		TimeCreated          string    `json:"timeCreated"`
		RecentCommunications *scRecent `json:"recentCommunications,omitempty"`
		CcEmailAddresses     []string  `json:"ccEmailAddresses"`
		Language             string    `json:"language"`
	}
	scRecent struct {
		Communications []scComm `json:"communications"`
		NextToken      string   `json:"nextToken,omitempty"`
	}
	scComm struct {
		CaseID        string  `json:"caseId"`
		Body          string  `json:"body"`
		SubmittedBy   string  `json:"submittedBy"`
		TimeCreated   string  `json:"timeCreated"`
		AttachmentSet []scAtt `json:"attachmentSet"`
		Attachments   []scAtt `json:"attachments"`
	}
	scAtt struct {
		AttachmentID string `json:"attachmentId"`
		FileName     string `json:"fileName"`
	}
)

// supportTimeLayout is how the fake renders times (ISO-8601, milliseconds).
const supportTimeLayout = "2006-01-02T15:04:05.000Z"

func supportTime(t time.Time) string { return t.UTC().Format(supportTimeLayout) }

var supportLanguages = map[string]bool{"en": true, "ja": true, "zh": true, "ko": true, "es": true, "pt": true, "fr": true, "tr": true}

// supportDecode decodes an operation's input into v, a pointer to a struct
// whose json tags are the operation's member names.
//
// encoding/json matches keys case-insensitively, so "CaseIDList" would fill
// caseIdList here while the real service, which matches member names
// exactly, would not see a caseIdList at all (AWS ignores members it does
// not know). The fake is stricter than AWS on purpose: every key must be
// an exact member name of the operation's input, or the request fails with
// SerializationException (HTTP 400, the AWS JSON error shape), so that a
// misspelled member in a client fails its tests instead of being ignored
// in production.
func supportDecode(body []byte, v any) *supportAPIError {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(body, &keys); err != nil {
		return supportErr(http.StatusBadRequest, "SerializationException", "Unable to parse request: %v", err)
	}
	members := supportMembers(v)
	for k := range keys {
		if !members[k] {
			return supportErr(http.StatusBadRequest, "SerializationException",
				"Unexpected member %q in the request: member names are case-sensitive; the operation's input has %s", k, strings.Join(slices.Sorted(maps.Keys(members)), ", "))
		}
	}
	if err := json.Unmarshal(body, v); err != nil {
		return supportErr(http.StatusBadRequest, "SerializationException", "Unable to parse request: %v", err)
	}
	return nil
}

// supportMembers returns the member names of an operation's input: the
// json tag names of the struct v points to.
func supportMembers(v any) map[string]bool {
	t := reflect.TypeOf(v).Elem()
	out := make(map[string]bool, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out[name] = true
		}
	}
	return out
}

func validationErr(format string, args ...any) *supportAPIError {
	return supportErr(http.StatusBadRequest, "ValidationException", "1 validation error detected: "+format, args...)
}

func invalidParam(format string, args ...any) *supportAPIError {
	return supportErr(http.StatusBadRequest, "InvalidParameterValueException", format, args...)
}

func supportMaxResults(p *int64, def int) (int, *supportAPIError) {
	switch {
	case p == nil:
		return def, nil
	case *p < 10:
		return 0, validationErr("Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 10", *p)
	case *p > 100:
		return 0, validationErr("Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100", *p)
	}
	return int(*p), nil
}

func supportLanguage(p *string) (string, *supportAPIError) {
	if p == nil || *p == "" {
		return "en", nil
	}
	if !supportLanguages[*p] {
		return "", invalidParam("Invalid value for the parameter language: %q", *p)
	}
	return *p, nil
}

// supportTimeParam parses afterTime/beforeTime (any ISO-8601 form).
func supportTimeParam(name string, p *string) (time.Time, bool, *supportAPIError) {
	if p == nil || *p == "" {
		return time.Time{}, false, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, *p); err == nil {
			return t, true, nil
		}
	}
	return time.Time{}, false, invalidParam("Invalid value for %s: %q is not an ISO-8601 date", name, *p)
}

// supportToken is the content of an opaque nextToken: the sort key of the
// last item returned (keyset pagination) and a hash of the query it
// belongs to.
type supportToken struct {
	Kind  string `json:"k"`
	Time  int64  `json:"t"`
	ID    string `json:"i,omitempty"`
	Seq   int64  `json:"s,omitempty"`
	Query string `json:"q"`
}

func (t supportToken) encode() string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeSupportToken(s, kind, query string) (*supportToken, *supportAPIError) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	var t supportToken
	if err != nil || json.Unmarshal(b, &t) != nil || t.Kind != kind {
		return nil, invalidParam("Invalid pagination token")
	}
	if t.Query != query {
		return nil, invalidParam("The pagination token does not match the request parameters")
	}
	return &t, nil
}

func supportQueryHash(parts ...any) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%v\x00", p)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

func renderComm(caseID string, m SupportCommunication) scComm {
	out := scComm{
		CaseID:        caseID,
		Body:          m.Body,
		SubmittedBy:   m.SubmittedBy,
		TimeCreated:   supportTime(m.TimeCreated),
		AttachmentSet: []scAtt{},
		Attachments:   []scAtt{},
	}
	for _, a := range m.Attachments {
		d := scAtt{AttachmentID: a.ID, FileName: a.FileName}
		out.Attachments = append(out.Attachments, d)
		if a.Size <= supportMaxDescribeAttachment {
			out.AttachmentSet = append(out.AttachmentSet, d)
		}
	}
	return out
}

// commsQuery is the query hash of DescribeCommunications without time
// filters — also the one recentCommunications.nextToken belongs to.
func commsQuery(caseID, after, before string) string {
	return supportQueryHash("comms", caseID, after, before)
}

func renderCase(sc *supportCase, withComms bool) scCase {
	c := scCase{
		CaseID:           sc.c.CaseID,
		DisplayID:        sc.c.DisplayID,
		Subject:          sc.c.Subject,
		Status:           sc.c.Status,
		ServiceCode:      sc.c.ServiceCode,
		CategoryCode:     sc.c.CategoryCode,
		SeverityCode:     sc.c.SeverityCode,
		SubmittedBy:      sc.c.SubmittedBy,
		TimeCreated:      supportTime(sc.c.TimeCreated),
		CcEmailAddresses: slices.Clone(sc.c.CcEmailAddresses),
		Language:         sc.c.Language,
	}
	if c.CcEmailAddresses == nil {
		c.CcEmailAddresses = []string{}
	}
	if c.Language == "" {
		c.Language = "en"
	}
	if withComms {
		r := &scRecent{Communications: []scComm{}}
		for i := len(sc.comms) - 1; i >= 0 && len(r.Communications) < 5; i-- {
			r.Communications = append(r.Communications, renderComm(sc.c.CaseID, sc.comms[i].m))
		}
		if len(sc.comms) > 5 {
			last := sc.comms[len(sc.comms)-5]
			r.NextToken = supportToken{Kind: "comms", Time: last.m.TimeCreated.UnixNano(), Seq: last.seq, Query: commsQuery(sc.c.CaseID, "", "")}.encode()
		}
		c.RecentCommunications = r
	}
	return c
}

func (f *Support) describeCases(a *SupportAccount, body []byte) (any, *supportAPIError) {
	var in struct {
		AfterTime             *string  `json:"afterTime"`
		BeforeTime            *string  `json:"beforeTime"`
		CaseIDList            []string `json:"caseIdList"`
		DisplayID             *string  `json:"displayId"`
		IncludeCommunications *bool    `json:"includeCommunications"`
		IncludeResolvedCases  *bool    `json:"includeResolvedCases"`
		Language              *string  `json:"language"`
		MaxResults            *int64   `json:"maxResults"`
		NextToken             *string  `json:"nextToken"`
	}
	if e := supportDecode(body, &in); e != nil {
		return nil, e
	}
	if len(in.CaseIDList) > 100 {
		return nil, validationErr("Value '[%s, …]' at 'caseIdList' failed to satisfy constraint: Member must have length less than or equal to 100", in.CaseIDList[0])
	}
	max, e := supportMaxResults(in.MaxResults, 10)
	if e != nil {
		return nil, e
	}
	lang, e := supportLanguage(in.Language)
	if e != nil {
		return nil, e
	}
	after, hasAfter, e := supportTimeParam("afterTime", in.AfterTime)
	if e != nil {
		return nil, e
	}
	before, hasBefore, e := supportTimeParam("beforeTime", in.BeforeTime)
	if e != nil {
		return nil, e
	}
	f.st.Lock()
	refused := a.refused[lang]
	f.st.Unlock()
	if refused {
		return nil, invalidParam("Invalid value for the parameter language: %q is not supported for this account", lang)
	}
	resolved := deref(in.IncludeResolvedCases, false)
	withComms := deref(in.IncludeCommunications, true)
	displayID := deref(in.DisplayID, "")
	ids := slices.Clone(in.CaseIDList)
	slices.Sort(ids)
	query := supportQueryHash("cases", lang, resolved, deref(in.AfterTime, ""), deref(in.BeforeTime, ""), displayID, strings.Join(ids, ","))
	var cursor *supportToken
	if tok := deref(in.NextToken, ""); tok != "" {
		if cursor, e = decodeSupportToken(tok, "cases", query); e != nil {
			return nil, e
		}
	}

	f.st.Lock()
	defer f.st.Unlock()
	idSet := map[string]bool{}
	known := false
	for _, id := range in.CaseIDList {
		idSet[id] = true
		if _, ok := a.byID[id]; ok {
			known = true
		}
	}
	if len(idSet) > 0 && !known {
		return nil, supportErr(http.StatusBadRequest, "CaseIdNotFound", "Case ID(s) not found: %s", strings.Join(in.CaseIDList, ", "))
	}
	out := struct {
		Cases     []scCase `json:"cases"`
		NextToken string   `json:"nextToken,omitempty"`
	}{Cases: []scCase{}}
	var last *supportCase
	for _, sc := range a.cases {
		t := sc.c.TimeCreated.UnixNano()
		if cursor != nil && (t > cursor.Time || (t == cursor.Time && sc.c.CaseID >= cursor.ID)) {
			continue
		}
		lc := sc.c.Language
		if lc == "" {
			lc = "en"
		}
		switch {
		case lc != lang,
			!resolved && sc.c.Status == "resolved",
			len(idSet) > 0 && !idSet[sc.c.CaseID],
			displayID != "" && sc.c.DisplayID != displayID,
			hasAfter && sc.c.TimeCreated.Before(after),
			hasBefore && sc.c.TimeCreated.After(before):
			continue
		}
		if len(out.Cases) == max {
			out.NextToken = supportToken{Kind: "cases", Time: last.c.TimeCreated.UnixNano(), ID: last.c.CaseID, Query: query}.encode()
			break
		}
		out.Cases = append(out.Cases, renderCase(sc, withComms))
		last = sc
	}
	return out, nil
}

func (f *Support) describeCommunications(a *SupportAccount, body []byte) (any, *supportAPIError) {
	var in struct {
		AfterTime  *string `json:"afterTime"`
		BeforeTime *string `json:"beforeTime"`
		CaseID     *string `json:"caseId"`
		MaxResults *int64  `json:"maxResults"`
		NextToken  *string `json:"nextToken"`
	}
	if e := supportDecode(body, &in); e != nil {
		return nil, e
	}
	if in.CaseID == nil {
		return nil, validationErr("Value null at 'caseId' failed to satisfy constraint: Member must not be null")
	}
	max, e := supportMaxResults(in.MaxResults, 10)
	if e != nil {
		return nil, e
	}
	after, hasAfter, e := supportTimeParam("afterTime", in.AfterTime)
	if e != nil {
		return nil, e
	}
	before, hasBefore, e := supportTimeParam("beforeTime", in.BeforeTime)
	if e != nil {
		return nil, e
	}
	query := commsQuery(*in.CaseID, deref(in.AfterTime, ""), deref(in.BeforeTime, ""))
	var cursor *supportToken
	if tok := deref(in.NextToken, ""); tok != "" {
		if cursor, e = decodeSupportToken(tok, "comms", query); e != nil {
			return nil, e
		}
	}

	f.st.Lock()
	defer f.st.Unlock()
	sc, ok := a.byID[*in.CaseID]
	if !ok {
		return nil, supportErr(http.StatusBadRequest, "CaseIdNotFound", "Case ID not found: %s", *in.CaseID)
	}
	out := struct {
		Communications []scComm `json:"communications"`
		NextToken      string   `json:"nextToken,omitempty"`
	}{Communications: []scComm{}}
	var last *supportComm
	for i := len(sc.comms) - 1; i >= 0; i-- {
		cm := &sc.comms[i]
		t := cm.m.TimeCreated.UnixNano()
		if cursor != nil && (t > cursor.Time || (t == cursor.Time && cm.seq >= cursor.Seq)) {
			continue
		}
		if (hasAfter && cm.m.TimeCreated.Before(after)) || (hasBefore && cm.m.TimeCreated.After(before)) {
			continue
		}
		if len(out.Communications) == max {
			out.NextToken = supportToken{Kind: "comms", Time: last.m.TimeCreated.UnixNano(), Seq: last.seq, Query: query}.encode()
			break
		}
		out.Communications = append(out.Communications, renderComm(sc.c.CaseID, cm.m))
		last = cm
	}
	return out, nil
}

func (f *Support) findAttachment(a *SupportAccount, body []byte) (SupportAttachment, *supportAPIError) {
	var in struct {
		AttachmentID *string `json:"attachmentId"`
		DryRun       *bool   `json:"dryRun"`
	}
	if e := supportDecode(body, &in); e != nil {
		return SupportAttachment{}, e
	}
	if in.AttachmentID == nil {
		return SupportAttachment{}, validationErr("Value null at 'attachmentId' failed to satisfy constraint: Member must not be null")
	}
	f.st.Lock()
	ref, ok := a.atts[*in.AttachmentID]
	f.st.Unlock()
	if !ok {
		return SupportAttachment{}, supportErr(http.StatusBadRequest, "AttachmentIdNotFound", "An attachment with the specified ID could not be found.")
	}
	if deref(in.DryRun, false) {
		return SupportAttachment{}, supportErr(http.StatusBadRequest, "DryRunOperationException", "The request would have succeeded, but the DryRun parameter was set.")
	}
	return ref.att, nil
}

func (f *Support) describeAttachment(a *SupportAccount, body []byte) (any, *supportAPIError) {
	att, e := f.findAttachment(a, body)
	if e != nil {
		return nil, e
	}
	if att.Size > supportMaxDescribeAttachment {
		return nil, invalidParam("The attachment is larger than 5 MB. Use GetAttachmentDownloadLink to download it.")
	}
	type attachment struct {
		FileName string `json:"fileName"`
		Data     []byte `json:"data"`
	}
	return map[string]attachment{"attachment": {FileName: att.FileName, Data: att.Content()}}, nil
}

func (f *Support) getAttachmentDownloadLink(a *SupportAccount, body []byte) (any, *supportAPIError) {
	att, e := f.findAttachment(a, body)
	if e != nil {
		return nil, e
	}
	expires := f.opt.now().Add(f.linkTTL)
	exp := expires.Unix()
	q := url.Values{}
	q.Set("X-Amz-Credential", a.akid)
	q.Set("X-Amz-Expires-At", fmt.Sprint(exp))
	q.Set("X-Amz-Signature", f.downloadSig(a.akid, att.ID, exp))
	type downloadURL struct {
		URL        string `json:"url"`
		ExpiryDate string `json:"expiryDate"`
	}
	return struct {
		FileName    string      `json:"fileName"`
		DownloadURL downloadURL `json:"downloadUrl"`
	}{
		FileName: att.FileName,
		DownloadURL: downloadURL{
			URL:        f.URL() + supportDownloadDir + url.PathEscape(att.ID) + "?" + q.Encode(),
			ExpiryDate: supportTime(time.Unix(exp, 0)),
		},
	}, nil
}

func (f *Support) describeServices(a *SupportAccount, body []byte) (any, *supportAPIError) {
	var in struct {
		ServiceCodeList []string `json:"serviceCodeList"`
		Language        *string  `json:"language"`
	}
	if e := supportDecode(body, &in); e != nil {
		return nil, e
	}
	if len(in.ServiceCodeList) > 100 {
		return nil, validationErr("Value at 'serviceCodeList' failed to satisfy constraint: Member must have length less than or equal to 100")
	}
	if _, e := supportLanguage(in.Language); e != nil {
		return nil, e
	}
	type category struct {
		Code string `json:"code"`
		Name string `json:"name"`
	}
	type service struct {
		Code       string     `json:"code"`
		Name       string     `json:"name"`
		Categories []category `json:"categories"`
	}
	out := struct {
		Services []service `json:"services"`
	}{Services: []service{}}
	for _, s := range supportServices {
		if len(in.ServiceCodeList) > 0 && !slices.Contains(in.ServiceCodeList, s.code) {
			continue
		}
		sv := service{Code: s.code, Name: s.name}
		for _, c := range s.categories {
			sv.Categories = append(sv.Categories, category{Code: c, Name: categoryName(c)})
		}
		out.Services = append(out.Services, sv)
	}
	return out, nil
}

// categoryName turns a category code into its display name
// ("general-guidance" → "General Guidance").
func categoryName(code string) string {
	words := strings.Split(code, "-")
	for i, w := range words {
		if w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}

func (f *Support) describeSeverityLevels(a *SupportAccount, body []byte) (any, *supportAPIError) {
	var in struct {
		Language *string `json:"language"`
	}
	if e := supportDecode(body, &in); e != nil {
		return nil, e
	}
	if _, e := supportLanguage(in.Language); e != nil {
		return nil, e
	}
	type level struct {
		Code string `json:"code"`
		Name string `json:"name"`
	}
	out := struct {
		SeverityLevels []level `json:"severityLevels"`
	}{}
	for _, s := range supportSeverities {
		out.SeverityLevels = append(out.SeverityLevels, level{Code: s, Name: strings.ToUpper(s[:1]) + s[1:]})
	}
	return out, nil
}

func (f *Support) createCase(a *SupportAccount, body []byte) (any, *supportAPIError) {
	var in struct {
		AttachmentSetID   *string  `json:"attachmentSetId"`
		CategoryCode      *string  `json:"categoryCode"`
		CcEmailAddresses  []string `json:"ccEmailAddresses"`
		CommunicationBody *string  `json:"communicationBody"`
		DryRun            *bool    `json:"dryRun"`
		IssueType         *string  `json:"issueType"`
		Language          *string  `json:"language"`
		ServiceCode       *string  `json:"serviceCode"`
		SeverityCode      *string  `json:"severityCode"`
		Subject           *string  `json:"subject"`
		UploadIDs         []string `json:"uploadIds"`
	}
	if e := supportDecode(body, &in); e != nil {
		return nil, e
	}
	switch {
	case in.Subject == nil:
		return nil, validationErr("Value null at 'subject' failed to satisfy constraint: Member must not be null")
	case in.CommunicationBody == nil:
		return nil, validationErr("Value null at 'communicationBody' failed to satisfy constraint: Member must not be null")
	case len([]rune(*in.CommunicationBody)) < 1 || len([]rune(*in.CommunicationBody)) > 8000:
		return nil, validationErr("Value at 'communicationBody' failed to satisfy constraint: Member must have length between 1 and 8000")
	case len(in.CcEmailAddresses) > 10:
		return nil, validationErr("Value at 'ccEmailAddresses' failed to satisfy constraint: Member must have length less than or equal to 10")
	}
	lang, e := supportLanguage(in.Language)
	if e != nil {
		return nil, e
	}
	severity := deref(in.SeverityCode, "low")
	if !slices.Contains(supportSeverities, severity) {
		return nil, invalidParam("Invalid value for severityCode: %q", severity)
	}
	issue := deref(in.IssueType, "technical")
	if issue != "technical" && issue != "customer-service" {
		return nil, invalidParam("Invalid value for issueType: %q", issue)
	}
	svcCode, catCode := deref(in.ServiceCode, "general-info"), deref(in.CategoryCode, "")
	i := slices.IndexFunc(supportServices, func(s supportService) bool { return s.code == svcCode })
	if i < 0 {
		return nil, invalidParam("Invalid service code: %q", svcCode)
	}
	if catCode == "" {
		catCode = supportServices[i].categories[0]
	} else if !slices.Contains(supportServices[i].categories, catCode) {
		return nil, invalidParam("Invalid category code %q for service %q", catCode, svcCode)
	}
	if deref(in.AttachmentSetID, "") != "" {
		return nil, supportErr(http.StatusBadRequest, "AttachmentSetIdNotFound", "An attachment set with the specified ID could not be found.")
	}
	if len(in.UploadIDs) > 0 {
		return nil, supportErr(http.StatusBadRequest, "UploadIdNotFound", "The specified uploadId couldn't be located.")
	}
	if deref(in.DryRun, false) {
		return nil, supportErr(http.StatusBadRequest, "DryRunOperationException", "The request would have succeeded, but the DryRun parameter was set.")
	}

	f.st.Lock()
	defer f.st.Unlock()
	now := f.opt.now().UTC().Truncate(time.Millisecond)
	a.created++
	a.displayID++
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d/%d", a.accountID, a.created, now.UnixNano())
	c := SupportCase{
		CaseID:           fmt.Sprintf("case-%s-mu%s-%d-%016x", a.accountID, lang, now.Year(), h.Sum64()),
		DisplayID:        fmt.Sprint(a.displayID),
		Subject:          *in.Subject,
		Status:           "unassigned",
		ServiceCode:      svcCode,
		CategoryCode:     catCode,
		SeverityCode:     severity,
		SubmittedBy:      a.email,
		Language:         lang,
		CcEmailAddresses: in.CcEmailAddresses,
		TimeCreated:      now,
		Communications: []SupportCommunication{{
			Body:        *in.CommunicationBody,
			SubmittedBy: fmt.Sprintf("opsdesk (IAM User) <%s>", a.email),
			TimeCreated: now,
		}},
	}
	a.insertLocked(c)
	return map[string]string{"caseId": c.CaseID}, nil
}

func (f *Support) addCommunicationToCase(a *SupportAccount, body []byte) (any, *supportAPIError) {
	var in struct {
		AttachmentSetID   *string  `json:"attachmentSetId"`
		CaseID            *string  `json:"caseId"`
		CcEmailAddresses  []string `json:"ccEmailAddresses"`
		CommunicationBody *string  `json:"communicationBody"`
		UploadIDs         []string `json:"uploadIds"`
	}
	if e := supportDecode(body, &in); e != nil {
		return nil, e
	}
	switch {
	case in.CommunicationBody == nil:
		return nil, validationErr("Value null at 'communicationBody' failed to satisfy constraint: Member must not be null")
	case len([]rune(*in.CommunicationBody)) < 1 || len([]rune(*in.CommunicationBody)) > 8000:
		return nil, validationErr("Value at 'communicationBody' failed to satisfy constraint: Member must have length between 1 and 8000")
	case len(in.CcEmailAddresses) > 10:
		return nil, validationErr("Value at 'ccEmailAddresses' failed to satisfy constraint: Member must have length less than or equal to 10")
	case deref(in.AttachmentSetID, "") != "":
		return nil, supportErr(http.StatusBadRequest, "AttachmentSetIdNotFound", "An attachment set with the specified ID could not be found.")
	case len(in.UploadIDs) > 0:
		return nil, supportErr(http.StatusBadRequest, "UploadIdNotFound", "The specified uploadId couldn't be located.")
	}
	f.st.Lock()
	defer f.st.Unlock()
	sc, ok := a.byID[deref(in.CaseID, "")]
	if !ok {
		return nil, supportErr(http.StatusBadRequest, "CaseIdNotFound", "Case ID not found: %s", deref(in.CaseID, ""))
	}
	a.appendCommLocked(sc, SupportCommunication{
		Body:        *in.CommunicationBody,
		SubmittedBy: fmt.Sprintf("opsdesk (IAM User) <%s>", a.email),
		TimeCreated: f.opt.now().UTC().Truncate(time.Millisecond),
	})
	switch sc.c.Status {
	case "resolved":
		sc.c.Status = "reopened"
	case "pending-customer-action":
		sc.c.Status = "customer-action-completed"
	}
	return map[string]bool{"result": true}, nil
}

func (f *Support) resolveCase(a *SupportAccount, body []byte) (any, *supportAPIError) {
	var in struct {
		CaseID *string `json:"caseId"`
	}
	if e := supportDecode(body, &in); e != nil {
		return nil, e
	}
	f.st.Lock()
	defer f.st.Unlock()
	sc, ok := a.byID[deref(in.CaseID, "")]
	if !ok {
		return nil, supportErr(http.StatusBadRequest, "CaseIdNotFound", "Case ID not found: %s", deref(in.CaseID, ""))
	}
	initial := sc.c.Status
	sc.c.Status = "resolved"
	return map[string]string{"initialCaseStatus": initial, "finalCaseStatus": "resolved"}, nil
}
