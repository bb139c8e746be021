package phonghop_test

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
)

// TestCatalogue: every reason has both texts with the same placeholders.
func TestCatalogue(t *testing.T) {
	for reason, texts := range phonghop.Catalogue() {
		if texts.En == "" || texts.Vi == "" {
			t.Errorf("%s: a text is missing: %+v", reason, texts)
		}
		if en, vi := phonghop.Placeholders(texts.En), phonghop.Placeholders(texts.Vi); !reflect.DeepEqual(en, vi) {
			t.Errorf("%s: placeholders differ: en %v, vi %v", reason, en, vi)
		}
	}
}

// TestEveryFailIsCatalogued reads the module's Go files: every Fail names a
// catalogued reason as a string literal and passes exactly the params its text
// names; every CheckText field has a translated name; and every reason is used.
func TestEveryFailIsCatalogued(t *testing.T) {
	cat := phonghop.Catalogue()
	used := map[string]bool{}
	// Fail's code: one of errors.go's E* constants, which have texts (checked
	// after the walk, once errors.go has been read).
	codeConsts := map[string]string{}
	type codeUse struct {
		pos  token.Position
		name string
	}
	var codeUses []codeUse
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			// The API's codes (errors.go's E* constants) have texts of their
			// own: the app's words for an error whose reason it does not know
			// (an older app cached on a tablet, a newer server).
			if spec, ok := n.(*ast.ValueSpec); ok && path == "errors.go" {
				for i, id := range spec.Names {
					if i >= len(spec.Values) || !strings.HasPrefix(id.Name, "E") {
						continue
					}
					if code, ok := literal(spec.Values[i]); ok {
						codeConsts[id.Name] = code
						used[code] = true
						if _, ok := cat[code]; !ok {
							t.Errorf("code %s (%q) has no text in errors.json", id.Name, code)
						}
					}
				}
				return true
			}
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			name := ""
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			case *ast.Ident:
				name = fn.Name
			}
			pos := fset.Position(call.Pos())
			switch name {
			case "Fail":
				if len(call.Args) < 2 {
					return true
				}
				switch c := call.Args[0].(type) {
				case *ast.SelectorExpr:
					codeUses = append(codeUses, codeUse{pos, c.Sel.Name})
				case *ast.Ident:
					codeUses = append(codeUses, codeUse{pos, c.Name})
				default:
					t.Errorf("%s: Fail's code is not one of errors.go's E* constants", pos)
				}
				reason, ok := literal(call.Args[1])
				if !ok {
					t.Errorf("%s: Fail's reason is not a string literal", pos)
					return true
				}
				used[reason] = true
				texts, ok := cat[reason]
				if !ok {
					t.Errorf("%s: reason %q is not in errors.json", pos, reason)
					return true
				}
				if len(call.Args) == 3 { // params passed on as a slice
					return true
				}
				var params []string
				for i := 2; i < len(call.Args); i += 2 {
					p, ok := literal(call.Args[i])
					if !ok {
						t.Errorf("%s: a param name of %q is not a string literal", pos, reason)
					}
					params = append(params, p)
				}
				if want := phonghop.Placeholders(texts.En); !sameSet(params, want) {
					t.Errorf("%s: %q gets params %v, its text names %v", pos, reason, params, want)
				}
			case "CheckText", "CheckTextLines", "CheckVisible", "FreeText":
				if field, ok := literal(call.Args[0]); ok {
					used["field."+field] = true
					if _, ok := cat["field."+field]; !ok {
						t.Errorf("%s: field %q has no name in errors.json (field.%s)", pos, field, field)
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range codeUses {
		if _, ok := codeConsts[u.name]; !ok {
			t.Errorf("%s: Fail's code %s is not one of errors.go's E* constants (the app has a text for each)", u.pos, u.name)
		}
	}
	for _, r := range phonghop.Reasons() {
		if !used[r] {
			t.Errorf("reason %q is in errors.json but nothing sends it", r)
		}
	}
}

func literal(e ast.Expr) (string, bool) {
	b, ok := e.(*ast.BasicLit)
	if !ok || b.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(b.Value)
	return s, err == nil
}

func sameSet(a, b []string) bool {
	m := map[string]bool{}
	for _, x := range a {
		m[x] = true
	}
	if len(m) != len(a) {
		return false
	}
	for _, x := range b {
		if !m[x] {
			return false
		}
		delete(m, x)
	}
	return len(m) == 0
}

func TestFailFillsParams(t *testing.T) {
	e := phonghop.Fail(phonghop.EInvalid, "too_many_participants", "max", 500)
	if e.Message != "at most 500 participants" || e.Params["max"] != "500" || e.Reason != "too_many_participants" {
		t.Errorf("Fail = %+v", e)
	}
}

// TestPublic: one classifier for both faces.
func TestPublic(t *testing.T) {
	for _, c := range []struct {
		err        error
		code, want string
	}{
		{fmt.Errorf("put x: %w", storage.ErrUnavailable), phonghop.EUnavailable, "storage_unavailable"},
		{fmt.Errorf("get: %w", storage.ErrNotFound), phonghop.ENotFound, "not_found"},
		{fmt.Errorf("cas: %w", storage.ErrPrecondition), phonghop.EConflict, "changed_elsewhere"},
		{fmt.Errorf("read: %w", context.Canceled), phonghop.ECanceled, "canceled"},
		{fmt.Errorf("read: %w", context.DeadlineExceeded), phonghop.EUnavailable, "unavailable"},
		{errors.New("disk on fire at /var/x"), phonghop.EInternal, "internal"},
		{fmt.Errorf("wrapped: %w", phonghop.Fail(phonghop.EConflict, "already_voted")), phonghop.EConflict, "already_voted"},
	} {
		e := phonghop.Public(c.err)
		if e.Code != c.code || e.Reason != c.want {
			t.Errorf("Public(%v) = %+v, want %s/%s", c.err, e, c.code, c.want)
		}
		if strings.Contains(e.Message, "/var") {
			t.Errorf("Public leaks %q", e.Message)
		}
	}
	if phonghop.Public(nil) != nil || phonghop.ErrorCode(nil) != "" {
		t.Error("nil is not an error")
	}
}
