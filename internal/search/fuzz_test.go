package search

import (
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// fuzzSeeds are the inputs of the golden files and some hostile ones.
func fuzzSeeds(f *testing.F) []string {
	seeds := []string{
		`"`, `""`, `"""`, `\`, `\\`, `'`, `''`, `\'`, `:*`, `a:*`, `'a':*`, `&|!()<>`,
		`a & b | !c <-> d <2> (e)`, `NEAR("a" "b", 2)`, `col:a`, `{a b}: c`, `^a`, `a*`, `"a"*`,
		`- + * ^ :`, `AND OR NOT`, "\x00", "a\x00b", "\xff\xfe", "障\xe9害", "\u200b", "\u00ad",
		`障`, `障害`, `障 害`, `"障害 発生"`, `ec2障`, `"障 ec2"`, `ｶﾞ`, `ＡＢＣ`, `İSTANBUL ǅ ß`,
		strings.Repeat("障", 300), strings.Repeat("a ", 100), strings.Repeat("x", 3000),
		strings.Repeat("\u0301", 50), "a" + strings.Repeat("\u0301", 50), "障" + strings.Repeat("\u3099", 20),
	}
	for _, name := range []string{"queries.txt", "searches.txt"} {
		for _, c := range readGolden(f, name) {
			for _, k := range []string{"in", "q"} {
				if v, ok := c.vals[k]; ok {
					seeds = append(seeds, v)
				}
			}
		}
	}
	for _, d := range readCorpus(f) {
		seeds = append(seeds, d.text)
	}
	return seeds
}

// FuzzQuery runs any input as a query on SQLite FTS5 and PostgreSQL, over
// the corpus plus the input itself as a document, and requires: no error
// from either engine's query parser, the same documents as Query.Matches,
// and that a query matches the text it was typed from. It also checks the
// snippets of the input.
//
//	go test ./internal/search -run '^$' -fuzz FuzzQuery -fuzztime 60s
func FuzzQuery(f *testing.F) {
	docs := readCorpus(f)
	lite := openSQLite(f)
	exec(f, lite, sqliteSchema)
	for _, d := range docs {
		if _, err := lite.Exec(`INSERT INTO docs(rowid, indexed) VALUES (?, ?)`, d.id, IndexText(d.text)); err != nil {
			f.Fatal(err)
		}
	}
	// PostgreSQL: expressions only (no table), so every fuzz worker can
	// share the server's test database and leave nothing behind.
	pg, err := sql.Open("pgx", storetest.AdminURL())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { pg.Close() })
	if err := pg.Ping(); err != nil {
		f.Fatalf("PostgreSQL is required: %v", err)
	}
	indexed := make([]string, len(docs)+1)
	for i, d := range docs {
		indexed[i] = IndexText(d.text)
	}

	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := ParseQuery(s)
		all := append(slices.Clone(docs), doc{0, s})
		want := matching(q, all)
		slices.Sort(want)
		if !q.Empty() && !q.Matches(s) {
			t.Fatalf("ParseQuery(%q) does not match its own text; terms %+v", s, q.Terms())
		}

		// SQLite.
		if _, err := lite.Exec(`INSERT OR REPLACE INTO docs(rowid, indexed) VALUES (0, ?)`, IndexText(s)); err != nil {
			t.Fatal(err)
		}
		e := &engine{name: "sqlite", db: lite, search: sqliteSearch, arg: Query.FTS5}
		got, err := e.run(t.Context(), q)
		if err != nil {
			t.Fatalf("FTS5 MATCH %q (from %q): %v", q.FTS5(), s, err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("FTS5 MATCH %q (from %q): %v, Matches: %v", q.FTS5(), s, got, want)
		}

		// PostgreSQL, comparing results only when its parser keeps the
		// tokens of the input and of the query as they are.
		indexed[len(docs)] = IndexText(s)
		var toks []string
		for _, tm := range q.terms {
			toks = append(toks, tm.Tokens...)
		}
		check := strings.TrimSpace(indexed[len(docs)] + " " + strings.Join(toks, " "))
		var ords, lexemes string
		err = pg.QueryRowContext(t.Context(), `
SELECT
	(SELECT coalesce(string_agg(i::text, ' ' ORDER BY i), '')
	 FROM unnest($2::text[]) WITH ORDINALITY AS d(s, i)
	 WHERE to_tsvector('simple', s) @@ to_tsquery('simple', $1)),
	(SELECT coalesce(string_agg(lexeme, ' ' ORDER BY p), '')
	 FROM unnest(to_tsvector('simple', $3)) AS u(lexeme, positions, weights), unnest(positions) AS p)`,
			q.TSQuery(), indexed, check).Scan(&ords, &lexemes)
		if err != nil {
			t.Fatalf("to_tsquery('simple', %q) (from %q): %v", q.TSQuery(), s, err)
		}
		if lexemes == check {
			var pgIDs []int
			for _, o := range strings.Fields(ords) {
				i, _ := strconv.Atoi(o)
				pgIDs = append(pgIDs, all[i-1].id)
			}
			slices.Sort(pgIDs)
			if !slices.Equal(pgIDs, want) {
				t.Fatalf("to_tsquery('simple', %q) (from %q): %v, Matches: %v", q.TSQuery(), s, pgIDs, want)
			}
		}

		// Snippets of the input for its own query.
		for _, max := range []int{0, 1, 7, 40} {
			fs := Highlight(s, q, max)
			checkFragments(t, s, fs, max)
			if max == 0 && !q.Empty() && !slices.ContainsFunc(fs, func(f Fragment) bool { return f.Match }) {
				t.Fatalf("Highlight(%q, %q) marks nothing", s, s)
			}
		}
	})
}

// FuzzTokens checks the tokenizer on any input: tokens are valid, made of
// word, CJK and mark characters only, each one its own tokenization, and
// IndexText is Tokens plus the tails.
func FuzzTokens(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	for _, c := range inputs(f, "tokens.txt") {
		s, _ := strconv.Unquote(c.get("in"))
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks := Tokens(s)
		for _, tok := range toks {
			if tok == "" || !utf8.ValidString(tok) {
				t.Fatalf("Tokens(%q): bad token %q", s, tok)
			}
			for _, r := range tok {
				if c := classify(r); c == cSep || c == cIgnore {
					t.Fatalf("Tokens(%q): token %q holds %U", s, tok, r)
				}
			}
			if again := Tokens(tok); len(again) != 1 || again[0] != tok {
				t.Fatalf("Tokens(%q): token %q tokenizes as %q", s, tok, again)
			}
		}
		// IndexText is Tokens with one tail per CJK run of two or more
		// characters.
		tails := 0
		scan(normalize(s), func(r *run) {
			if r.cjk && len(r.units) > 1 {
				tails++
			}
		})
		if idx := strings.Fields(IndexText(s)); len(idx) != len(toks)+tails {
			t.Fatalf("IndexText(%q) = %q, Tokens %q, %d tails", s, idx, toks, tails)
		}
	})
}
