package support

import (
	"strings"
	"testing"
)

func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func TestResolveEndpoint(t *testing.T) {
	t.Parallel()
	const (
		emu     = "http://localhost:4566"
		emuSupp = "http://127.0.0.1:9999"
		opt     = "https://support.example.test"
		base    = "https://base.example.test"
	)
	tests := []struct {
		name                string
		o                   Options
		env                 map[string]string
		url, region, source string
	}{
		{"aws default", Options{}, nil, "https://support.us-east-1.amazonaws.com", "us-east-1", "partition"},
		{"aws", Options{Partition: "aws"}, nil, "https://support.us-east-1.amazonaws.com", "us-east-1", "partition"},
		{"aws-cn", Options{Partition: "aws-cn"}, nil, "https://support.cn-north-1.amazonaws.com.cn", "cn-north-1", "partition"},
		{"aws-us-gov", Options{Partition: "aws-us-gov"}, nil, "https://support.us-gov-west-1.amazonaws.com", "us-gov-west-1", "partition"},
		{"global env", Options{}, map[string]string{EnvEndpoint: emu}, emu, "us-east-1", EnvEndpoint},
		{"global env keeps partition region", Options{Partition: "aws-cn"}, map[string]string{EnvEndpoint: emu}, emu, "cn-north-1", EnvEndpoint},
		{"service env beats global env", Options{}, map[string]string{EnvEndpoint: emu, EnvEndpointSupport: emuSupp}, emuSupp, "us-east-1", EnvEndpointSupport},
		{"option beats both envs", Options{Endpoint: opt}, map[string]string{EnvEndpoint: emu, EnvEndpointSupport: emuSupp}, opt, "us-east-1", "Options.Endpoint"},
		{"env beats BaseEndpoint", Options{BaseEndpoint: base}, map[string]string{EnvEndpoint: emu}, emu, "us-east-1", EnvEndpoint},
		{"BaseEndpoint", Options{BaseEndpoint: base, Partition: "aws-us-gov"}, nil, base, "us-gov-west-1", "BaseEndpoint"},
		{"empty env ignored", Options{}, map[string]string{EnvEndpointSupport: " ", EnvEndpoint: ""}, "https://support.us-east-1.amazonaws.com", "us-east-1", "partition"},
		{"ignore configured endpoints", Options{}, map[string]string{EnvEndpoint: emu, EnvEndpointSupport: emuSupp, EnvIgnoreEndpoints: "true"}, "https://support.us-east-1.amazonaws.com", "us-east-1", "partition"},
		{"ignore keeps explicit option", Options{Endpoint: opt}, map[string]string{EnvIgnoreEndpoints: "TRUE"}, opt, "us-east-1", "Options.Endpoint"},
		{"signing region override", Options{Endpoint: emu + "/", SigningRegion: "eu-west-1"}, nil, emu, "eu-west-1", "Options.Endpoint"},
	}
	for _, tc := range tests {
		tc.o.LookupEnv = envMap(tc.env)
		ep, err := ResolveEndpoint(tc.o)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if ep.URL != tc.url || ep.SigningRegion != tc.region || ep.Source != tc.source {
			t.Errorf("%s: got %+v, want %s %s %s", tc.name, ep, tc.url, tc.region, tc.source)
		}
	}

	for name, o := range map[string]Options{
		"unknown partition": {Partition: "aws-iso"},
		"not a URL":         {LookupEnv: envMap(map[string]string{EnvEndpointSupport: "localhost:4566"})},
		"bad scheme":        {Endpoint: "ftp://example.com"},
	} {
		if o.LookupEnv == nil {
			o.LookupEnv = envMap(nil)
		}
		if _, err := ResolveEndpoint(o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	_, err := ResolveEndpoint(Options{LookupEnv: envMap(map[string]string{EnvEndpoint: "https://admin:hunter2@example.com"})})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("user info: %v", err)
	}
}

func TestPartitionForRegion(t *testing.T) {
	t.Parallel()
	for region, want := range map[string]string{
		"":               "aws",
		"us-east-1":      "aws",
		"ap-northeast-1": "aws",
		"cn-north-1":     "aws-cn",
		"cn-northwest-1": "aws-cn",
		"us-gov-west-1":  "aws-us-gov",
		"us-gov-east-1":  "aws-us-gov",
	} {
		if got := PartitionForRegion(region); got != want {
			t.Errorf("%q: %s, want %s", region, got, want)
		}
	}
}
