package wire_test

import (
	"encoding/json"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

var updateVocabulary = flag.Bool("update-vocabulary", false, "rewrite testdata/vocabulary.json from vocabulary.go")

// vocabulary is testdata/vocabulary.json: every constant of vocabulary.go by its Go name, in
// four groups. Clients in other languages read it (the browser client's codec test does), so
// that a client whose names or values differ from the server's fails its tests.
type vocabulary struct {
	Types      map[string]string `json:"types"`
	CloseCodes map[string]int    `json:"close_codes"`
	ErrorCodes map[string]string `json:"error_codes"`
	EventKinds map[string]string `json:"event_kinds"`
}

// declaredVocabulary reads the constants of vocabulary.go from its source, so that a constant
// added there and missing from the file (or the other way round) is found.
func declaredVocabulary(t *testing.T) vocabulary {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "vocabulary.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	v := vocabulary{Types: map[string]string{}, CloseCodes: map[string]int{}, ErrorCodes: map[string]string{}, EventKinds: map[string]string{}}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, name := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok {
					t.Fatalf("%s is not a literal", name.Name)
				}
				switch n := name.Name; {
				case strings.HasPrefix(n, "Type"):
					v.Types[n] = mustUnquote(t, lit)
				case strings.HasPrefix(n, "Close"):
					c, err := strconv.Atoi(lit.Value)
					if err != nil {
						t.Fatalf("%s: %v", n, err)
					}
					v.CloseCodes[n] = c
				case strings.HasPrefix(n, "Code"):
					v.ErrorCodes[n] = mustUnquote(t, lit)
				case strings.HasPrefix(n, "Event"):
					v.EventKinds[n] = mustUnquote(t, lit)
				default:
					t.Fatalf("%s belongs to no group of the vocabulary", n)
				}
			}
		}
	}
	return v
}

func mustUnquote(t *testing.T, lit *ast.BasicLit) string {
	t.Helper()
	s, err := strconv.Unquote(lit.Value)
	if err != nil || lit.Kind != token.STRING {
		t.Fatalf("%s is not a string", lit.Value)
	}
	return s
}

// TestVocabulary checks that testdata/vocabulary.json lists exactly the constants of
// vocabulary.go (go test ./server/wire -run TestVocabulary -update-vocabulary rewrites it), and
// that no two names of a group share a value.
func TestVocabulary(t *testing.T) {
	v := declaredVocabulary(t)
	for group, values := range map[string]map[string]string{"types": v.Types, "error_codes": v.ErrorCodes, "event_kinds": v.EventKinds} {
		seen := map[string]string{}
		for name, val := range values {
			if other, ok := seen[val]; ok {
				t.Errorf("%s: %s and %s are both %q", group, name, other, val)
			}
			seen[val] = name
		}
	}
	seen := map[int]string{}
	for name, c := range v.CloseCodes {
		if other, ok := seen[c]; ok {
			t.Errorf("close codes: %s and %s are both %d", name, other, c)
		}
		seen[c] = name
	}
	const path = "testdata/vocabulary.json"
	if *updateVocabulary {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	var want vocabulary
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("%s differs from vocabulary.go (go test ./server/wire -run TestVocabulary -update-vocabulary)", path)
	}
}
