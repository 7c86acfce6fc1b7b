package httpx

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func trustedFn(prefixes ...string) func(netip.Addr) bool {
	var ps []netip.Prefix
	for _, p := range prefixes {
		ps = append(ps, netip.MustParsePrefix(p))
	}
	return func(a netip.Addr) bool {
		for _, p := range ps {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
}

func TestClientIP(t *testing.T) {
	t.Parallel()
	trusted := trustedFn("10.0.0.0/8", "127.0.0.1/32")
	cases := []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"direct", "203.0.113.9:5000", nil, "203.0.113.9"},
		{"untrusted peer ignores xff", "203.0.113.9:5000", []string{"1.2.3.4"}, "203.0.113.9"},
		{"trusted proxy", "127.0.0.1:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"chain of proxies", "10.0.0.1:1", []string{"198.51.100.1, 10.0.0.2"}, "198.51.100.1"},
		{"spoofed left entry", "127.0.0.1:1", []string{"6.6.6.6, 198.51.100.1"}, "198.51.100.1"},
		{"several headers", "127.0.0.1:1", []string{"6.6.6.6", "198.51.100.1"}, "198.51.100.1"},
		{"garbage stops", "127.0.0.1:1", []string{"198.51.100.1, nonsense, 10.0.0.3"}, "10.0.0.3"},
		{"all trusted", "127.0.0.1:1", []string{"10.0.0.5"}, "10.0.0.5"},
		{"ipv6", "[2001:db8::1]:443", nil, "2001:db8::1"},
		{"mapped", "[::ffff:127.0.0.1]:1", []string{"198.51.100.1"}, "198.51.100.1"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		for _, h := range c.xff {
			r.Header.Add("X-Forwarded-For", h)
		}
		if got := ClientIP(r, trusted); got != c.want {
			t.Errorf("%s: ClientIP = %q; want %q", c.name, got, c.want)
		}
	}
}

func FuzzClientIP(f *testing.F) {
	f.Add("127.0.0.1:1", "198.51.100.1, 10.0.0.2")
	f.Add("[::1]:1", "::1,,")
	trusted := trustedFn("127.0.0.0/8", "::1/128", "10.0.0.0/8")
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		got := ClientIP(r, trusted)
		// The answer is the peer itself or an address from the header.
		if got != remote {
			if _, err := netip.ParseAddr(got); err != nil {
				t.Fatalf("ClientIP returned %q, not an address", got)
			}
		}
	})
}

func TestRequestToken(t *testing.T) {
	for _, tc := range []struct {
		auth, query, want string
		fromQuery         bool
	}{
		{"Bearer odt_abc", "", "odt_abc", false},
		{"bearer  odt_abc ", "", "odt_abc", false},
		{"Bearer odt_h", "odt_q", "odt_h", false},
		{"Basic eDp5", "odt_q", "odt_q", true},
		{"", "odt_q", "odt_q", true},
		{"", "", "", false},
		{"Bearer", "odt_q", "odt_q", true},
	} {
		r := httptest.NewRequest("POST", "/x?token="+tc.query, nil)
		if tc.auth != "" {
			r.Header.Set("Authorization", tc.auth)
		}
		got, q := RequestToken(r)
		if got != tc.want || q != tc.fromQuery {
			t.Errorf("%q %q: %q %v; want %q %v", tc.auth, tc.query, got, q, tc.want, tc.fromQuery)
		}
		if HasToken(r) != (tc.want != "") {
			t.Errorf("%q %q: HasToken %v", tc.auth, tc.query, HasToken(r))
		}
	}
}

// FuzzRequestToken: any Authorization header and query give a token from
// exactly one of them, the header winning, without surrounding spaces.
func FuzzRequestToken(f *testing.F) {
	for _, s := range [][2]string{{"Bearer odt_x", ""}, {"bearer\todt_x", "odt_q"}, {"Bearer ", "a%20b"}, {"Basic x", "%ZZ"}, {"", "odt_q&token=2"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, header, query string) {
		r := httptest.NewRequest("GET", "/x", nil)
		r.URL.RawQuery = "token=" + query
		r.Header["Authorization"] = []string{header}
		tok, fromQuery := RequestToken(r)
		if fromQuery {
			if tok != r.URL.Query().Get("token") || tok == "" {
				t.Fatalf("query token %q from %q", tok, query)
			}
			return
		}
		if tok != "" && (tok != strings.TrimSpace(tok) || !strings.Contains(header, tok)) {
			t.Fatalf("header token %q from %q", tok, header)
		}
	})
}
