package support

import (
	"fmt"
	"strings"
	"time"
)

// Field names and JSON keys below follow the AWS Support API reference
// (https://docs.aws.amazon.com/awssupport/latest/APIReference/). Request
// structs list their members in alphabetical order, which is also the order
// the AWS SDKs serialize them in.

// Case statuses the API reports in CaseDetails.Status.
const (
	StatusOpened                  = "opened"
	StatusPendingCustomerAction   = "pending-customer-action"
	StatusCustomerActionCompleted = "customer-action-completed"
	StatusWorkInProgress          = "work-in-progress"
	StatusReopened                = "reopened"
	StatusResolved                = "resolved"
	StatusUnassigned              = "unassigned"
)

// Severity codes (DescribeSeverityLevels). The console names them General
// guidance, System impaired, Production system impaired, Production system
// down and Business-critical system down.
const (
	SeverityLow      = "low"
	SeverityNormal   = "normal"
	SeverityHigh     = "high"
	SeverityUrgent   = "urgent"
	SeverityCritical = "critical"
)

// Languages lists the case languages the API documents (ISO 639-1): English,
// Japanese, Chinese and Korean everywhere, Spanish, Portuguese, French and
// Turkish where the account's region offers them.
var Languages = []string{"en", "ja", "zh", "ko", "es", "pt", "fr", "tr"}

// MinMaxResults and MaxMaxResults bound maxResults for DescribeCases and
// DescribeCommunications; MaxCaseIDs bounds DescribeCases' caseIdList.
const (
	MinMaxResults = 10
	MaxMaxResults = 100
	MaxCaseIDs    = 100
)

// CaseDetails is one support case as DescribeCases returns it.
type CaseDetails struct {
	CaseID               string                    `json:"caseId,omitempty"`
	CategoryCode         string                    `json:"categoryCode,omitempty"`
	CcEmailAddresses     []string                  `json:"ccEmailAddresses,omitempty"`
	DisplayID            string                    `json:"displayId,omitempty"`
	Language             string                    `json:"language,omitempty"`
	RecentCommunications *RecentCaseCommunications `json:"recentCommunications,omitempty"`
	ServiceCode          string                    `json:"serviceCode,omitempty"`
	SeverityCode         string                    `json:"severityCode,omitempty"`
	Status               string                    `json:"status,omitempty"`
	Subject              string                    `json:"subject,omitempty"`
	SubmittedBy          string                    `json:"submittedBy,omitempty"`
	TimeCreated          string                    `json:"timeCreated,omitempty"`
}

// Created parses TimeCreated.
func (c CaseDetails) Created() (time.Time, error) { return ParseTime(c.TimeCreated) }

// RecentCaseCommunications holds the five most recent communications of a
// case and a nextToken for DescribeCommunications to fetch the earlier ones.
type RecentCaseCommunications struct {
	Communications []Communication `json:"communications,omitempty"`
	NextToken      string          `json:"nextToken,omitempty"`
}

// Communication is one message in a case.
type Communication struct {
	// AttachmentSet lists the attachments of 5 MB or less.
	AttachmentSet []AttachmentDetails `json:"attachmentSet,omitempty"`
	// Attachments lists every attachment, larger ones included (newer API
	// field; fetch those with GetAttachmentDownloadLink).
	Attachments []AttachmentDetails `json:"attachments,omitempty"`
	Body        string              `json:"body,omitempty"`
	CaseID      string              `json:"caseId,omitempty"`
	SubmittedBy string              `json:"submittedBy,omitempty"`
	TimeCreated string              `json:"timeCreated,omitempty"`
}

// Created parses TimeCreated.
func (c Communication) Created() (time.Time, error) { return ParseTime(c.TimeCreated) }

// AllAttachments returns Attachments, or AttachmentSet when the service did
// not send the newer field, so callers see every attachment either way.
func (c Communication) AllAttachments() []AttachmentDetails {
	if len(c.Attachments) > 0 {
		return c.Attachments
	}
	return c.AttachmentSet
}

// AttachmentDetails names an attachment of a communication.
type AttachmentDetails struct {
	AttachmentID string `json:"attachmentId,omitempty"`
	FileName     string `json:"fileName,omitempty"`
}

// Attachment is an attachment's content (DescribeAttachment). Data travels
// base64-encoded on the wire; encoding/json decodes it.
type Attachment struct {
	Data     []byte `json:"data,omitempty"`
	FileName string `json:"fileName,omitempty"`
}

// DownloadURL is a presigned attachment download link and its expiry
// (GetAttachmentDownloadLink).
type DownloadURL struct {
	ExpiryDate string `json:"expiryDate,omitempty"`
	URL        string `json:"url,omitempty"`
}

// Service is an AWS service and its case categories (DescribeServices).
type Service struct {
	Categories []Category `json:"categories,omitempty"`
	Code       string     `json:"code,omitempty"`
	Name       string     `json:"name,omitempty"`
}

// Category is a case category of a Service.
type Category struct {
	Code string `json:"code,omitempty"`
	Name string `json:"name,omitempty"`
}

// SeverityLevel is a severity code and its API name (DescribeSeverityLevels).
type SeverityLevel struct {
	Code string `json:"code,omitempty"`
	Name string `json:"name,omitempty"`
}

// DescribeCasesInput is the DescribeCases request.
type DescribeCasesInput struct {
	// AfterTime and BeforeTime filter cases by creation time (ISO-8601, see
	// FormatTime).
	AfterTime  string   `json:"afterTime,omitempty"`
	BeforeTime string   `json:"beforeTime,omitempty"`
	CaseIDList []string `json:"caseIdList,omitempty"`
	DisplayID  string   `json:"displayId,omitempty"`
	// IncludeCommunications defaults to true on the service side; set it to
	// Bool(false) to leave out recentCommunications.
	IncludeCommunications *bool `json:"includeCommunications,omitempty"`
	// IncludeResolvedCases defaults to false: resolved cases are left out.
	IncludeResolvedCases bool `json:"includeResolvedCases,omitempty"`
	// Language selects the case language; the service answers only with
	// cases in that language (English when empty).
	Language string `json:"language,omitempty"`
	// MaxResults is 10–100 (0: the service's default).
	MaxResults int32  `json:"maxResults,omitempty"`
	NextToken  string `json:"nextToken,omitempty"`
}

// DescribeCasesOutput is the DescribeCases response.
type DescribeCasesOutput struct {
	Cases     []CaseDetails `json:"cases"`
	NextToken string        `json:"nextToken,omitempty"`
}

// DescribeCommunicationsInput is the DescribeCommunications request.
type DescribeCommunicationsInput struct {
	AfterTime  string `json:"afterTime,omitempty"`
	BeforeTime string `json:"beforeTime,omitempty"`
	CaseID     string `json:"caseId"`
	MaxResults int32  `json:"maxResults,omitempty"`
	NextToken  string `json:"nextToken,omitempty"`
}

// DescribeCommunicationsOutput is the DescribeCommunications response.
type DescribeCommunicationsOutput struct {
	Communications []Communication `json:"communications"`
	NextToken      string          `json:"nextToken,omitempty"`
}

// DescribeAttachmentInput is the DescribeAttachment request.
type DescribeAttachmentInput struct {
	AttachmentID string `json:"attachmentId"`
	DryRun       bool   `json:"dryRun,omitempty"`
}

// DescribeAttachmentOutput is the DescribeAttachment response. The service
// refuses attachments larger than 5 MB (InvalidParameterValueException);
// use GetAttachmentDownloadLink for those.
type DescribeAttachmentOutput struct {
	Attachment *Attachment `json:"attachment"`
}

// GetAttachmentDownloadLinkInput is the GetAttachmentDownloadLink request.
type GetAttachmentDownloadLinkInput struct {
	AttachmentID string `json:"attachmentId"`
	DryRun       bool   `json:"dryRun,omitempty"`
}

// GetAttachmentDownloadLinkOutput is the GetAttachmentDownloadLink response.
type GetAttachmentDownloadLinkOutput struct {
	DownloadURL *DownloadURL `json:"downloadUrl"`
	FileName    string       `json:"fileName"`
}

// DescribeServicesInput is the DescribeServices request.
type DescribeServicesInput struct {
	Language        string   `json:"language,omitempty"`
	ServiceCodeList []string `json:"serviceCodeList,omitempty"`
}

// DescribeServicesOutput is the DescribeServices response.
type DescribeServicesOutput struct {
	Services []Service `json:"services"`
}

// DescribeSeverityLevelsInput is the DescribeSeverityLevels request.
type DescribeSeverityLevelsInput struct {
	Language string `json:"language,omitempty"`
}

// DescribeSeverityLevelsOutput is the DescribeSeverityLevels response.
type DescribeSeverityLevelsOutput struct {
	SeverityLevels []SeverityLevel `json:"severityLevels"`
}

// CreateCaseInput is the CreateCase request. Subject and CommunicationBody
// are required.
type CreateCaseInput struct {
	AttachmentSetID   string   `json:"attachmentSetId,omitempty"`
	CategoryCode      string   `json:"categoryCode,omitempty"`
	CcEmailAddresses  []string `json:"ccEmailAddresses,omitempty"`
	CommunicationBody string   `json:"communicationBody"`
	DryRun            bool     `json:"dryRun,omitempty"`
	// IssueType is "technical" (the default) or "customer-service".
	IssueType    string   `json:"issueType,omitempty"`
	Language     string   `json:"language,omitempty"`
	ServiceCode  string   `json:"serviceCode,omitempty"`
	SeverityCode string   `json:"severityCode,omitempty"`
	Subject      string   `json:"subject"`
	UploadIDs    []string `json:"uploadIds,omitempty"`
}

// CreateCaseOutput is the CreateCase response.
type CreateCaseOutput struct {
	CaseID string `json:"caseId"`
}

// AddCommunicationToCaseInput is the AddCommunicationToCase request.
type AddCommunicationToCaseInput struct {
	AttachmentSetID   string   `json:"attachmentSetId,omitempty"`
	CaseID            string   `json:"caseId,omitempty"`
	CcEmailAddresses  []string `json:"ccEmailAddresses,omitempty"`
	CommunicationBody string   `json:"communicationBody"`
	UploadIDs         []string `json:"uploadIds,omitempty"`
}

// AddCommunicationToCaseOutput is the AddCommunicationToCase response.
type AddCommunicationToCaseOutput struct {
	Result bool `json:"result"`
}

// ResolveCaseInput is the ResolveCase request.
type ResolveCaseInput struct {
	CaseID string `json:"caseId,omitempty"`
}

// ResolveCaseOutput is the ResolveCase response.
type ResolveCaseOutput struct {
	FinalCaseStatus   string `json:"finalCaseStatus,omitempty"`
	InitialCaseStatus string `json:"initialCaseStatus,omitempty"`
}

// Bool returns a pointer to v, for optional boolean request members.
func Bool(v bool) *bool { return &v }

// TimeLayout is the ISO-8601 form the API uses for times
// (2024-05-01T09:30:00.000Z).
const TimeLayout = "2006-01-02T15:04:05.000Z"

// FormatTime renders t in UTC as the API's ISO-8601 time string.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// ParseTime parses an ISO-8601 time as the API sends it: with or without
// fractional seconds, with Z or a numeric offset, or a bare date.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05.999999999Z0700", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("support: time %q is not ISO-8601", s)
}
