// Package doclint checks the whole module for what STYLE.md asks of every
// package: a package comment, and a doc comment on every exported
// identifier.
package doclint

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

func TestEveryExportedIdentifierHasADocComment(t *testing.T) {
	root := filepath.Join("..", "..")
	dirs := map[string][]*ast.File{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		dirs[filepath.Dir(path)] = append(dirs[filepath.Dir(path)], f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for dir, files := range dirs {
		hasPkgDoc := false
		for _, f := range files {
			hasPkgDoc = hasPkgDoc || f.Doc != nil
			if f.Name.Name == "main" {
				hasPkgDoc = hasPkgDoc || f.Doc != nil
			}
			for _, miss := range undocumented(f) {
				t.Errorf("%s: exported %s has no doc comment", fset.Position(miss.Pos()), miss.Name)
			}
		}
		if !hasPkgDoc {
			t.Errorf("%s: no package comment", dir)
		}
	}
}

func undocumented(f *ast.File) []*ast.Ident {
	var out []*ast.Ident
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() || d.Doc != nil {
				continue
			}
			if d.Recv != nil && !exportedRecv(d.Recv) {
				continue
			}
			if d.Recv != nil && isStdMethod(d.Name.Name) {
				continue // Error, String, Unwrap... document themselves
			}
			out = append(out, d.Name)
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					if s.Name.IsExported() && d.Doc == nil && s.Doc == nil {
						out = append(out, s.Name)
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						// a documented group (const/var block) covers its members
						if n.IsExported() && d.Doc == nil && s.Doc == nil && s.Comment == nil {
							out = append(out, n)
						}
					}
				}
			}
		}
	}
	return out
}

func exportedRecv(fl *ast.FieldList) bool {
	t := fl.List[0].Type
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
		case *ast.IndexExpr:
			t = x.X
		case *ast.IndexListExpr:
			t = x.X
		case *ast.Ident:
			return x.IsExported()
		default:
			return true
		}
	}
}

func isStdMethod(name string) bool {
	switch name {
	case "Error", "String", "Unwrap", "Is", "As", "Format", "GoString", "MarshalJSON", "UnmarshalJSON":
		return true
	}
	return false
}
