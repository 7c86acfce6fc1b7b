package support

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Operation names (the part of X-Amz-Target after the prefix).
const (
	OpDescribeCases             = "DescribeCases"
	OpDescribeCommunications    = "DescribeCommunications"
	OpDescribeAttachment        = "DescribeAttachment"
	OpGetAttachmentDownloadLink = "GetAttachmentDownloadLink"
	OpDescribeServices          = "DescribeServices"
	OpDescribeSeverityLevels    = "DescribeSeverityLevels"
	OpCreateCase                = "CreateCase"
	OpAddCommunicationToCase    = "AddCommunicationToCase"
	OpResolveCase               = "ResolveCase"
)

// missing reports a required request member that is empty, before any
// request is sent (as the SDKs' validation middleware does).
func missing(op, member string) error {
	return fmt.Errorf("support: %s: %s is required", op, member)
}

// DescribeCases returns one page of cases. The service answers only with
// cases in in.Language (English when empty) and leaves resolved cases out
// unless in.IncludeResolvedCases is set. See DescribeCasesPages for every
// page.
func (c *Client) DescribeCases(ctx context.Context, in *DescribeCasesInput) (*DescribeCasesOutput, error) {
	if in == nil {
		in = &DescribeCasesInput{}
	}
	out := &DescribeCasesOutput{}
	if err := c.call(ctx, OpDescribeCases, in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// DescribeCommunications returns one page of a case's communications. See
// DescribeCommunicationsPages for every page.
func (c *Client) DescribeCommunications(ctx context.Context, in *DescribeCommunicationsInput) (*DescribeCommunicationsOutput, error) {
	if in == nil || in.CaseID == "" {
		return nil, missing(OpDescribeCommunications, "caseId")
	}
	out := &DescribeCommunicationsOutput{}
	if err := c.call(ctx, OpDescribeCommunications, in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// DescribeAttachment returns an attachment's file name and content. The
// service refuses attachments larger than 5 MB; use
// GetAttachmentDownloadLink and DownloadAttachment for those.
func (c *Client) DescribeAttachment(ctx context.Context, in *DescribeAttachmentInput) (*DescribeAttachmentOutput, error) {
	if in == nil || in.AttachmentID == "" {
		return nil, missing(OpDescribeAttachment, "attachmentId")
	}
	out := &DescribeAttachmentOutput{}
	if err := c.call(ctx, OpDescribeAttachment, in, out); err != nil {
		return nil, err
	}
	if out.Attachment == nil && !in.DryRun {
		return nil, fmt.Errorf("support: %s: response has no attachment", OpDescribeAttachment)
	}
	return out, nil
}

// GetAttachmentDownloadLink returns a time-limited presigned URL for an
// attachment of any size.
func (c *Client) GetAttachmentDownloadLink(ctx context.Context, in *GetAttachmentDownloadLinkInput) (*GetAttachmentDownloadLinkOutput, error) {
	if in == nil || in.AttachmentID == "" {
		return nil, missing(OpGetAttachmentDownloadLink, "attachmentId")
	}
	out := &GetAttachmentDownloadLinkOutput{}
	if err := c.call(ctx, OpGetAttachmentDownloadLink, in, out); err != nil {
		return nil, err
	}
	if (out.DownloadURL == nil || out.DownloadURL.URL == "") && !in.DryRun {
		return nil, fmt.Errorf("support: %s: response has no download URL", OpGetAttachmentDownloadLink)
	}
	return out, nil
}

// DescribeServices returns the service codes and categories cases can be
// filed under.
func (c *Client) DescribeServices(ctx context.Context, in *DescribeServicesInput) (*DescribeServicesOutput, error) {
	if in == nil {
		in = &DescribeServicesInput{}
	}
	out := &DescribeServicesOutput{}
	if err := c.call(ctx, OpDescribeServices, in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// DescribeSeverityLevels returns the severity levels the account's plan
// allows.
func (c *Client) DescribeSeverityLevels(ctx context.Context, in *DescribeSeverityLevelsInput) (*DescribeSeverityLevelsOutput, error) {
	if in == nil {
		in = &DescribeSeverityLevelsInput{}
	}
	out := &DescribeSeverityLevelsOutput{}
	if err := c.call(ctx, OpDescribeSeverityLevels, in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// CreateCase opens a case and returns its caseId.
func (c *Client) CreateCase(ctx context.Context, in *CreateCaseInput) (*CreateCaseOutput, error) {
	switch {
	case in == nil || in.Subject == "":
		return nil, missing(OpCreateCase, "subject")
	case in.CommunicationBody == "":
		return nil, missing(OpCreateCase, "communicationBody")
	}
	out := &CreateCaseOutput{}
	if err := c.call(ctx, OpCreateCase, in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// AddCommunicationToCase adds a customer message to a case.
func (c *Client) AddCommunicationToCase(ctx context.Context, in *AddCommunicationToCaseInput) (*AddCommunicationToCaseOutput, error) {
	switch {
	case in == nil || in.CaseID == "":
		return nil, missing(OpAddCommunicationToCase, "caseId")
	case in.CommunicationBody == "":
		return nil, missing(OpAddCommunicationToCase, "communicationBody")
	}
	out := &AddCommunicationToCaseOutput{}
	if err := c.call(ctx, OpAddCommunicationToCase, in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ResolveCase resolves a case and reports its status before and after.
func (c *Client) ResolveCase(ctx context.Context, in *ResolveCaseInput) (*ResolveCaseOutput, error) {
	if in == nil || in.CaseID == "" {
		return nil, missing(OpResolveCase, "caseId")
	}
	out := &ResolveCaseOutput{}
	if err := c.call(ctx, OpResolveCase, in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// DownloadAttachment fetches a presigned URL from GetAttachmentDownloadLink
// into w and returns the number of bytes written. The URL carries its own
// authorization, so the request is not signed; it is made once (an expired
// link needs a new GetAttachmentDownloadLink, which the caller decides on)
// and reads at most Options.MaxDownloadBytes.
func (c *Client) DownloadAttachment(ctx context.Context, link string, w io.Writer) (int64, error) {
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return 0, errors.New("support: download attachment: not an http(s) URL")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return 0, fmt.Errorf("support: download attachment: %w", err)
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		// *url.Error repeats the URL, whose query is a presigned
		// signature: report the host only.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, fmt.Errorf("support: download attachment from %s: %w", u.Host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return 0, fmt.Errorf("support: download attachment from %s: HTTP %d: %s", u.Host, resp.StatusCode, cleanText(string(excerpt), 256))
	}
	n, err := io.Copy(w, io.LimitReader(resp.Body, c.maxDownload+1))
	if err != nil {
		return n, fmt.Errorf("support: download attachment from %s: %w", u.Host, err)
	}
	if n > c.maxDownload {
		return n, fmt.Errorf("support: download attachment from %s: larger than %d bytes", u.Host, c.maxDownload)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return n, fmt.Errorf("support: download attachment from %s: got %d of %d bytes", u.Host, n, resp.ContentLength)
	}
	return n, nil
}

// redactToken shortens a pagination token for error messages.
func redactToken(t string) string {
	if len(t) > 16 {
		return t[:16] + "…"
	}
	return strings.TrimSpace(t)
}
