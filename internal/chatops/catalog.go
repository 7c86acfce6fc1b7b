package chatops

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/opsdesk/opsdesk/internal/aws/support"
)

// catalog caches the account's DescribeServices and
// DescribeSeverityLevels answers: they change a few times a year, and
// every lookup or create would otherwise call AWS.
type catalog struct {
	ttl time.Duration
	now func() time.Time

	mu         sync.Mutex
	services   map[string]cached[[]support.Service] // by language
	severities cached[[]string]
}

type cached[T any] struct {
	v  T
	at time.Time
	ok bool
}

// supportAPI is the part of the Support client chat-ops uses.
type supportAPI interface {
	DescribeServices(ctx context.Context, in *support.DescribeServicesInput) (*support.DescribeServicesOutput, error)
	DescribeSeverityLevels(ctx context.Context, in *support.DescribeSeverityLevelsInput) (*support.DescribeSeverityLevelsOutput, error)
}

func (c *catalog) fresh(at time.Time) bool { return c.now().Sub(at) < c.ttl }

// Services returns the services in lang ("en" for the codes' English
// names). Concurrent callers of a stale entry each call AWS once; that is
// rare and harmless.
func (c *catalog) Services(ctx context.Context, api supportAPI, lang string) ([]support.Service, error) {
	c.mu.Lock()
	e, ok := c.services[lang]
	c.mu.Unlock()
	if ok && e.ok && c.fresh(e.at) {
		return e.v, nil
	}
	out, err := api.DescribeServices(ctx, &support.DescribeServicesInput{Language: lang})
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.services == nil {
		c.services = map[string]cached[[]support.Service]{}
	}
	c.services[lang] = cached[[]support.Service]{v: out.Services, at: c.now(), ok: true}
	c.mu.Unlock()
	return out.Services, nil
}

// Severities returns the severity codes the account's plan allows.
func (c *catalog) Severities(ctx context.Context, api supportAPI) ([]string, error) {
	c.mu.Lock()
	e := c.severities
	c.mu.Unlock()
	if e.ok && c.fresh(e.at) {
		return e.v, nil
	}
	out, err := api.DescribeSeverityLevels(ctx, &support.DescribeSeverityLevelsInput{Language: "en"})
	if err != nil {
		return nil, err
	}
	var codes []string
	for _, l := range out.SeverityLevels {
		codes = append(codes, strings.ToLower(l.Code))
	}
	c.mu.Lock()
	c.severities = cached[[]string]{v: codes, at: c.now(), ok: true}
	c.mu.Unlock()
	return codes, nil
}

// --- fuzzy matching --------------------------------------------------------

// normalize lowercases s and turns everything but letters and digits into
// single spaces ("Elastic Compute Cloud (EC2 - Linux)" → "elastic compute
// cloud ec2 linux").
func normalize(s string) string {
	var b strings.Builder
	space := true
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			space = false
			continue
		}
		if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSpace(b.String())
}

func compact(s string) string { return strings.ReplaceAll(s, " ", "") }

// stopWords are left out of acronyms ("Identity and Access Management" →
// "iam").
var stopWords = map[string]bool{"and": true, "of": true, "for": true, "the": true, "amazon": true, "aws": true}

func acronym(words []string) string {
	var b strings.Builder
	for _, w := range words {
		if stopWords[w] {
			continue
		}
		r := []rune(w)
		if len(r) > 0 && unicode.IsLetter(r[0]) && r[0] < unicode.MaxASCII {
			b.WriteRune(r[0])
		}
	}
	return b.String()
}

// serviceScore rates how well query matches a service (0: not at all). An
// exact code or name wins, then a word of the name ("ec2", "lambda"), an
// acronym ("rds", "iam"), a part of the name or code, every query word
// somewhere, and last a near miss of each word (a typo: "lamda").
func serviceScore(s support.Service, localName, query string) int {
	qn := normalize(query)
	qc := compact(qn)
	if qc == "" {
		return 0
	}
	qWords := strings.Fields(qn)
	code := strings.ToLower(s.Code)
	codeN := normalize(code)
	codeC := compact(codeN)
	best := 0
	up := func(n int) { best = max(best, n) }
	if qn == code || qc == codeC || strings.ToLower(strings.TrimSpace(query)) == code {
		up(1000)
	}
	names := []string{s.Name}
	if localName != "" && localName != s.Name {
		names = append(names, localName)
	}
	var allWords []string
	for _, name := range names {
		nn := normalize(name)
		nc := compact(nn)
		words := strings.Fields(nn)
		allWords = append(allWords, words...)
		switch {
		case nc == qc:
			up(900)
		case slices.Contains(words, qc):
			up(800)
		case len(qc) >= 2 && acronym(words) == qc:
			up(700)
		case len(qc) >= 3 && strings.HasPrefix(acronym(words), qc):
			up(650)
		case len(qc) >= 2 && strings.Contains(nc, qc):
			up(max(600-(len(nc)-len(qc)), 300))
		}
	}
	allWords = append(allWords, strings.Fields(codeN)...)
	if len(qc) >= 2 && strings.Contains(codeC, qc) {
		up(max(550-(len(codeC)-len(qc)), 300))
	}
	hay := compact(strings.Join(allWords, " "))
	all, near := true, true
	for _, w := range qWords {
		if !strings.Contains(hay, w) {
			all = false
		}
		limit := 0
		switch n := len([]rune(w)); {
		case n >= 8:
			limit = 2
		case n >= 4:
			limit = 1
		}
		found := false
		for _, nw := range allWords {
			if nw == w || (limit > 0 && levenshtein(w, nw, limit) <= limit) {
				found = true
				break
			}
		}
		if !found {
			near = false
		}
	}
	if all && len(qWords) > 1 {
		up(400)
	}
	if near {
		up(200)
	}
	return best
}

// matchServices returns the services matching query, best first.
func matchServices(svcs []support.Service, local map[string]string, query string) []support.Service {
	type scored struct {
		s     support.Service
		score int
	}
	var out []scored
	for _, s := range svcs {
		if n := serviceScore(s, local[s.Code], query); n > 0 {
			out = append(out, scored{s, n})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].score != out[j].score {
			return out[i].score > out[j].score
		}
		return out[i].s.Name < out[j].s.Name
	})
	// Keep only the matches of the best kind: an exact hit hides the
	// vaguer ones.
	res := make([]support.Service, 0, len(out))
	for _, x := range out {
		if out[0].score >= 700 && x.score < 300 {
			break
		}
		res = append(res, x.s)
	}
	return res
}

// levenshtein is the edit distance of a and b, or limit+1 once it is sure
// to exceed limit.
func levenshtein(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > limit || -d > limit {
		return limit + 1
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
