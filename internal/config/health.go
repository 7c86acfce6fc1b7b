package config

import (
	"fmt"
	"regexp"
	"slices"
)

// HealthNotify sends the changes of AWS Health records (a record seen
// for the first time, a status change: upcoming → open → closed) to a
// destination, when the record matches every list given; an empty list
// accepts all (docs/health.md).
type HealthNotify struct {
	Destination string `yaml:"destination"`
	// Services are AWS Health service codes (EC2, RDS, S3 …).
	Services []string `yaml:"services"`
	// Regions are the events' regions (detail.eventRegion), "global" too.
	Regions []string `yaml:"regions"`
	// Categories: issue, scheduledChange, accountNotification,
	// investigation.
	Categories []string `yaml:"categories"`
	// Statuses: the status a record changed to (upcoming, open, closed).
	Statuses []string `yaml:"statuses"`
	// Language of the messages: en (default), ja, zh or ko.
	Language string `yaml:"language"`
}

// healthCategories and healthStatuses are the values AWS Health uses.
var (
	healthCategories = []string{"issue", "scheduledChange", "accountNotification", "investigation"}
	healthStatuses   = []string{"upcoming", "open", "closed"}
	healthRegionRE   = regexp.MustCompile(`^([a-z]{2}(-[a-z]+)+-\d+|global)$`)
	healthServiceRE  = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
)

func (x *Events) validateHealth(c *Config) error {
	for i, h := range x.Health {
		key := fmt.Sprintf("events.health[%d]", i)
		switch {
		case h.Destination == "":
			return &Error{key + ".destination", "required"}
		case !c.HasDestination(h.Destination):
			return &Error{key + ".destination", fmt.Sprintf("no destination is named %q", h.Destination)}
		}
		switch h.Language {
		case "", "en", "ja", "zh", "ko":
		default:
			return &Error{key + ".language", fmt.Sprintf("%q is not en, ja, zh or ko", h.Language)}
		}
		for j, v := range h.Services {
			if !healthServiceRE.MatchString(v) {
				return &Error{fmt.Sprintf("%s.services[%d]", key, j), fmt.Sprintf("%q is not an AWS Health service code (e.g. EC2, RDS)", v)}
			}
		}
		for j, v := range h.Regions {
			if !healthRegionRE.MatchString(v) {
				return &Error{fmt.Sprintf("%s.regions[%d]", key, j), fmt.Sprintf("%q is not a region (e.g. ap-northeast-1, or global)", v)}
			}
		}
		for j, v := range h.Categories {
			if !slices.Contains(healthCategories, v) {
				return &Error{fmt.Sprintf("%s.categories[%d]", key, j), fmt.Sprintf("%q is not issue, scheduledChange, accountNotification or investigation", v)}
			}
		}
		for j, v := range h.Statuses {
			if !slices.Contains(healthStatuses, v) {
				return &Error{fmt.Sprintf("%s.statuses[%d]", key, j), fmt.Sprintf("%q is not upcoming, open or closed", v)}
			}
		}
	}
	return nil
}
