package modetest

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// A report's parameter form, as its queries' Liquid {% form %} blocks declare it (liquid.go reads
// the defaults to render SQL; this reads the whole form for Mode's "Form Fields" operation,
// GET …/runs/{run}/options, and for a run's form_fields). Each top-level key is a field, with:
//
//	type: text | number | date | select | multiselect   (text when absent)
//	default: the value a run without this parameter uses
//	label: what a form shows (the name when absent)
//	description: a hint under the field
//	options: [a, b, c]   (or a block list of "- a" lines): the allowed values of a select
//
// A report with several queries has the union of their forms, the first declaration of a name
// winning, in the order the queries are declared.

var (
	formAttr = regexp.MustCompile(`^\s+([A-Za-z_]+):\s*(.*?)\s*$`)
	formItem = regexp.MustCompile(`^\s+-\s*(.*?)\s*$`)
)

// formFieldDef is one field of a report's form.
type formFieldDef struct {
	name        string
	typ         string
	label       string
	description string
	def         string
	options     []string
}

// parseForm reads the fields the form blocks of raw declare, in order.
func parseForm(raw string) []formFieldDef {
	var out []formFieldDef
	for _, m := range formBlock.FindAllStringSubmatch(raw, -1) {
		var cur *formFieldDef
		inOptions := false
		for _, line := range strings.Split(m[1], "\n") {
			line = strings.TrimRight(line, "\r")
			if strings.TrimSpace(line) == "" {
				continue
			}
			if k := formKey.FindStringSubmatch(line); k != nil {
				out = append(out, formFieldDef{name: k[1], typ: "text"})
				cur, inOptions = &out[len(out)-1], false
				continue
			}
			if cur == nil {
				continue
			}
			if it := formItem.FindStringSubmatch(line); it != nil && inOptions {
				cur.options = append(cur.options, unquote(it[1]))
				continue
			}
			a := formAttr.FindStringSubmatch(line)
			if a == nil {
				continue
			}
			inOptions = false
			switch v := a[2]; a[1] {
			case "type":
				cur.typ = unquote(v)
			case "default":
				cur.def = unquote(v)
			case "label":
				cur.label = unquote(v)
			case "description":
				cur.description = unquote(v)
			case "options":
				if v == "" {
					inOptions = true
					continue
				}
				cur.options = flowList(v)
			}
		}
	}
	return out
}

// flowList reads a YAML flow sequence ("[a, 'b c', 3]").
func flowList(v string) []string {
	v = strings.TrimSpace(v)
	if !strings.HasPrefix(v, "[") || !strings.HasSuffix(v, "]") {
		return []string{unquote(v)}
	}
	var out []string
	for _, p := range strings.Split(v[1:len(v)-1], ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, unquote(p))
		}
	}
	return out
}

// reportForm is the form of a report whose queries have these raw sources.
func reportForm(raws []string) []formFieldDef {
	var out []formFieldDef
	seen := map[string]bool{}
	for _, raw := range raws {
		for _, f := range parseForm(raw) {
			if !seen[f.name] {
				seen[f.name] = true
				out = append(out, f)
			}
		}
	}
	return out
}

// runForm is the form of run: the form its query runs' sources declared when it ran.
func runForm(run *reportRun) []formFieldDef {
	raws := make([]string, len(run.queryRuns))
	for i, qr := range run.queryRuns {
		raws[i] = qr.rawSource
	}
	return reportForm(raws)
}

// formFieldJSON is Mode's FormField (required: name, options, options_error, source_size,
// _links), with the field's type, label, description and default besides. Options are
// [label, value] pairs; a field without a fixed set of values has none (an empty list), and
// source_size counts the options' source rows.
type formFieldJSON struct {
	Name         string      `json:"name"`
	Type         string      `json:"type"`
	Label        string      `json:"label"`
	Description  *string     `json:"description"`
	Default      any         `json:"default"`
	Options      [][2]string `json:"options"`
	OptionsError *string     `json:"options_error"`
	SourceSize   int         `json:"source_size"`
	Links        links       `json:"_links"`
}

func formFieldsJSON(defs []formFieldDef) []formFieldJSON {
	out := make([]formFieldJSON, 0, len(defs))
	for _, f := range defs {
		j := formFieldJSON{
			Name: f.name, Type: f.typ, Label: f.label, Description: optString(f.description),
			Default: formValue(f.typ, f.def), Options: [][2]string{}, SourceSize: len(f.options), Links: links{},
		}
		if j.Label == "" {
			j.Label = f.name
		}
		for _, o := range f.options {
			j.Options = append(j.Options, [2]string{o, o})
		}
		out = append(out, j)
	}
	return out
}

// formValue is a default as JSON: a number field's a number when it reads as one.
func formValue(typ, v string) any {
	if typ == "number" {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
	}
	return v
}

// runOptionsJSON is the answer of GET …/runs/{run}/options: Mode's document calls it a "FormField
// collection response"; the fields are embedded as form_fields, as a run's own form_fields.
type runOptionsJSON struct {
	Links    links `json:"_links"`
	Embedded struct {
		FormFields []formFieldJSON `json:"form_fields"`
	} `json:"_embedded"`
}

func (e *Emulator) listRunOptions(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	rep, run, ok := e.lookupRun(w, r)
	if !ok {
		e.mu.Unlock()
		return
	}
	ws := rep.ws.account.username
	rp := api(ws, "reports", rep.token, "runs", run.token)
	var body runOptionsJSON
	body.Links = links{"self": href(rp + "/options"), "report_run": href(rp), "report": href(api(ws, "reports", rep.token))}
	body.Embedded.FormFields = formFieldsJSON(runForm(run))
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}
