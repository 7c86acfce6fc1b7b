package support

import (
	"context"
	"fmt"
)

// DescribeCasesPages calls DescribeCases for in and for every nextToken the
// service returns, handing each page to fn in order. It starts from
// in.NextToken when set (resuming an interrupted walk) and does not modify
// in. An error from fn stops the walk and is returned as is. A token the
// service already returned once ends the walk with an error instead of
// looping forever.
func (c *Client) DescribeCasesPages(ctx context.Context, in *DescribeCasesInput, fn func(*DescribeCasesOutput) error) error {
	params := DescribeCasesInput{}
	if in != nil {
		params = *in
	}
	seen := map[string]bool{}
	for {
		out, err := c.DescribeCases(ctx, &params)
		if err != nil {
			return err
		}
		if err := fn(out); err != nil {
			return err
		}
		if out.NextToken == "" {
			return nil
		}
		if seen[out.NextToken] || out.NextToken == params.NextToken {
			return fmt.Errorf("support: %s: the service repeated nextToken %q; stopping", OpDescribeCases, redactToken(out.NextToken))
		}
		seen[out.NextToken] = true
		params.NextToken = out.NextToken
	}
}

// DescribeAllCases returns the cases of every page of DescribeCases for in.
func (c *Client) DescribeAllCases(ctx context.Context, in *DescribeCasesInput) ([]CaseDetails, error) {
	var all []CaseDetails
	err := c.DescribeCasesPages(ctx, in, func(p *DescribeCasesOutput) error {
		all = append(all, p.Cases...)
		return nil
	})
	return all, err
}

// DescribeCommunicationsPages calls DescribeCommunications for in and for
// every nextToken the service returns, handing each page to fn in order;
// it behaves like DescribeCasesPages.
func (c *Client) DescribeCommunicationsPages(ctx context.Context, in *DescribeCommunicationsInput, fn func(*DescribeCommunicationsOutput) error) error {
	if in == nil || in.CaseID == "" {
		return missing(OpDescribeCommunications, "caseId")
	}
	params := *in
	seen := map[string]bool{}
	for {
		out, err := c.DescribeCommunications(ctx, &params)
		if err != nil {
			return err
		}
		if err := fn(out); err != nil {
			return err
		}
		if out.NextToken == "" {
			return nil
		}
		if seen[out.NextToken] || out.NextToken == params.NextToken {
			return fmt.Errorf("support: %s: the service repeated nextToken %q; stopping", OpDescribeCommunications, redactToken(out.NextToken))
		}
		seen[out.NextToken] = true
		params.NextToken = out.NextToken
	}
}

// DescribeAllCommunications returns the communications of every page of
// DescribeCommunications for in, in the order the service sent them (most
// recent first).
func (c *Client) DescribeAllCommunications(ctx context.Context, in *DescribeCommunicationsInput) ([]Communication, error) {
	var all []Communication
	err := c.DescribeCommunicationsPages(ctx, in, func(p *DescribeCommunicationsOutput) error {
		all = append(all, p.Communications...)
		return nil
	})
	return all, err
}
