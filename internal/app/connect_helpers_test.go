package app_test

import "github.com/opsdesk/opsdesk/internal/fake"

// connectYAML is the alerts.connect block of a configuration (indented
// for "alerts:") that calls through the fake Amazon Connect cn, with the
// request rate raised so that only opsdesk is measured.
func connectYAML(cn *fake.Connect) string {
	return `  connect:
    instance_id: ` + cn.InstanceID() + `
    contact_flow_id: ` + cn.ContactFlowID() + `
    source_phone: "` + cn.SourcePhone() + `"
    region: ` + cn.Region() + `
    rate_per_second: 1000
`
}

// connectEnv points the AWS SDK at cn, with its credentials.
func connectEnv(cn *fake.Connect) map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL_CONNECT": cn.URL(),
		"AWS_ACCESS_KEY_ID":        fake.ConnectAccessKeyID,
		"AWS_SECRET_ACCESS_KEY":    fake.ConnectSecretAccessKey,
	}
}
