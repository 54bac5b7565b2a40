package modetest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Mode's reports take parameters through Liquid: a {% form %} … {% endform %} block at the end of
// the SQL declares them (YAML: a name per top-level key, with a default), and {{ name }} in the
// SQL is replaced by the run's value or the default. The substitution is textual, as in Mode: the
// SQL quotes string parameters itself ('{{ region }}'). Run parameters the SQL does not declare
// or use are ignored.

var (
	formBlock  = regexp.MustCompile(`(?s)\{%-?\s*form\s*-?%\}(.*?)\{%-?\s*endform\s*-?%\}`)
	formKey    = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*):\s*$`)
	formField  = regexp.MustCompile(`^\s+default:\s*(.*?)\s*$`)
	liquidExpr = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|\s*default:\s*("[^"]*"|'[^']*'|[^\s}]+)\s*)?\}\}`)
)

// paramDefaults reads the parameter defaults declared in raw's form block.
func paramDefaults(raw string) map[string]string {
	defs := map[string]string{}
	for _, m := range formBlock.FindAllStringSubmatch(raw, -1) {
		cur := ""
		for _, line := range strings.Split(m[1], "\n") {
			line = strings.TrimRight(line, "\r")
			if k := formKey.FindStringSubmatch(line); k != nil {
				cur = k[1]
				defs[cur] = ""
				continue
			}
			if f := formField.FindStringSubmatch(line); f != nil && cur != "" {
				defs[cur] = unquote(f[1])
			}
		}
	}
	return defs
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return s[1 : len(s)-1]
	}
	return s
}

// renderSQL removes the form block from raw and substitutes the parameters. It returns the
// rendered SQL and the effective parameters (declared defaults overridden by params).
func renderSQL(raw string, params map[string]any) (string, map[string]any) {
	defs := paramDefaults(raw)
	effective := map[string]any{}
	for k, v := range defs {
		effective[k] = v
	}
	body := strings.TrimRight(formBlock.ReplaceAllString(raw, ""), " \t\r\n")
	used := map[string]bool{}
	for _, m := range liquidExpr.FindAllStringSubmatch(body, -1) {
		used[m[1]] = true
	}
	for k, v := range params {
		if _, declared := defs[k]; declared || used[k] {
			effective[k] = v
		}
	}
	rendered := liquidExpr.ReplaceAllStringFunc(body, func(expr string) string {
		m := liquidExpr.FindStringSubmatch(expr)
		if v, ok := effective[m[1]]; ok {
			if s := paramString(v); s != "" || m[2] == "" {
				return s
			}
		}
		return unquote(m[2])
	})
	return rendered, effective
}

// paramString renders a JSON parameter value into SQL text.
func paramString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = paramString(p)
		}
		return strings.Join(parts, ",")
	default:
		return fmt.Sprint(x)
	}
}
