// Package modespec reads Mode's OpenAPI documents (kept in
// modeclient/modetest/testdata/mode-api) into the operations they list, for
// the tests that measure the emulator and the client against them.
package modespec

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
)

// Operation is one operation of a document: an HTTP method and a path
// template under the document's base path ("/api/{account}/reports/{report}").
type Operation struct {
	Method string
	Path   string
	// Family is the path's x-summary, the name Mode's reference files the
	// operation under ("Report", "Report Runs", "Collection"…); "" when the
	// document gives none.
	Family string
	// Documented is the path as the document writes it, under the base path:
	// Path, but "…/results/content(.csv, .json)" for each of the two files
	// that stand for one documented operation.
	Documented string
}

// Key is the documented operation: "GET /api/{account}/…/content(.csv, .json)".
// The two files of one operation share it.
func (o Operation) Key() string { return o.Method + " " + o.Documented }

// Route is the operation with its path parameters unnamed
// ("GET /api/{}/reports/{}"), to compare with routes that name them otherwise.
func (o Operation) Route() string { return o.Method + " " + Unnamed(o.Path) }

var param = regexp.MustCompile(`\{[^}]*\}`)

// Unnamed replaces every {name} of a path template with {}.
func Unnamed(path string) string { return param.ReplaceAllString(path, "{}") }

// Fill replaces every {name} of a path template with value(name).
func Fill(path string, value func(name string) string) string {
	return param.ReplaceAllStringFunc(path, func(p string) string { return value(p[1 : len(p)-1]) })
}

// Read returns the operations of the OpenAPI 2 document in file, sorted by
// path and method. A path the document writes as "content(.csv, .json)" is
// the two files it stands for, one operation each.
func Read(file string) ([]Operation, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var doc struct {
		BasePath string                                `json:"basePath"`
		Paths    map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var ops []Operation
	for path, methods := range doc.Paths {
		if !strings.HasPrefix(path, doc.BasePath+"/") {
			path = doc.BasePath + path
		}
		var family string
		if s, ok := methods["x-summary"]; ok {
			if err := json.Unmarshal(s, &family); err != nil {
				return nil, fmt.Errorf("%s: x-summary of %s: %w", file, path, err)
			}
		}
		files := []string{path}
		if strings.Contains(path, "content(.csv, .json)") {
			files = []string{strings.Replace(path, "content(.csv, .json)", "content.csv", 1), strings.Replace(path, "content(.csv, .json)", "content.json", 1)}
		}
		for m := range methods {
			method := strings.ToUpper(m)
			if !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, method) {
				continue // x-summary and the like
			}
			for _, p := range files {
				ops = append(ops, Operation{Method: method, Path: p, Family: family, Documented: path})
			}
		}
	}
	slices.SortFunc(ops, func(a, b Operation) int { return strings.Compare(a.Path+" "+a.Method, b.Path+" "+b.Method) })
	return ops, nil
}
