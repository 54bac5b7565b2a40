package modeclient

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"iter"
	"slices"
	"strings"
)

// Chart is one chart of a query (Mode's "Chart"). Mode's API only reads charts: they are made in
// Mode's editor. Mode describes a chart twice, in View (its older settings) and ViewVegas (a
// Vega-Lite-like description); Type, Title and Columns read both.
type Chart struct {
	Token             string     `json:"token"`
	View              ChartView  `json:"view"`
	ViewVersion       Int        `json:"view_version"`
	ViewVegas         ChartVegas `json:"view_vegas"`
	ColorPaletteToken String     `json:"color_palette_token"`
	SwitchViewToken   String     `json:"switch_view_token"`
	CreatedAt         Time       `json:"created_at"`
	UpdatedAt         Time       `json:"updated_at"`
	Links             Links      `json:"_links"`
}

// ChartView is a chart's "view": the selected chart type (bar, bigNumber, line, linePlusBar,
// scatter, pie, area, pivotTable), its icon and title, and each type's settings as Mode sends
// them (Mode's document gives them no shape), by type.
type ChartView struct {
	SelectedChart String
	ChartIcon     String
	ChartTitle    String
	Settings      map[string]json.RawMessage
}

// UnmarshalJSON implements json.Unmarshaler. A view that is not an object decodes as empty.
func (v *ChartView) UnmarshalJSON(b []byte) error {
	*v = ChartView{}
	t := bytes.TrimSpace(b)
	if len(t) == 0 || t[0] != '{' {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(t, &m); err != nil {
		return err
	}
	for key, dst := range map[string]*String{"selectedChart": &v.SelectedChart, "chartIcon": &v.ChartIcon, "chartTitle": &v.ChartTitle} {
		if raw, ok := m[key]; ok {
			if err := dst.UnmarshalJSON(raw); err != nil {
				return err
			}
			delete(m, key)
		}
	}
	if len(m) > 0 {
		v.Settings = m
	}
	return nil
}

// ChartVegas is a chart's "view_vegas": its title, its type (chartType: "bigValue" for a big
// number) and Encoding, the columns it plots by role ({"x": {"field": …}, "y": [{"field": …}…],
// …}), and Format, both as Mode sends them.
type ChartVegas struct {
	Title     String          `json:"title"`
	ChartType String          `json:"chartType"`
	Encoding  json.RawMessage `json:"encoding"`
	Format    json.RawMessage `json:"format"`
}

// Type returns the chart's type: its view's selected chart, else its view_vegas chartType.
func (c *Chart) Type() string {
	if c.View.SelectedChart != "" {
		return string(c.View.SelectedChart)
	}
	return string(c.ViewVegas.ChartType)
}

// Title returns the chart's title: its view's, else its view_vegas'.
func (c *Chart) Title() string {
	if c.View.ChartTitle != "" {
		return string(c.View.ChartTitle)
	}
	return string(c.ViewVegas.Title)
}

// Columns returns the query columns the chart plots, as its view_vegas encoding names them
// (each channel's "field", or the fields of a channel's list), each once: the x channel's first,
// then y's, then the other channels' in the order of their names. It is nil when the encoding
// names none or is not what Mode's charts send.
func (c *Chart) Columns() []string {
	var channels map[string]json.RawMessage
	if json.Unmarshal(c.ViewVegas.Encoding, &channels) != nil {
		return nil
	}
	names := make([]string, 0, len(channels))
	for name := range channels {
		names = append(names, name)
	}
	rank := func(n string) int {
		switch n {
		case "x":
			return 0
		case "y":
			return 1
		}
		return 2
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a, b)) })
	type field struct {
		Field string `json:"field"`
	}
	var out []string
	add := func(f string) {
		if f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	for _, name := range names {
		raw := bytes.TrimSpace(channels[name])
		var one field
		var many []field
		switch {
		case len(raw) > 0 && raw[0] == '{' && json.Unmarshal(raw, &one) == nil:
			add(one.Field)
		case len(raw) > 0 && raw[0] == '[' && json.Unmarshal(raw, &many) == nil:
			for _, f := range many {
				add(f.Field)
			}
		}
	}
	return out
}

func (c *Chart) owner() (string, Links) { return "", c.Links }

func chartsPath(ws, report, query string) *apiPath { return queryPath(ws, report, query).lit("charts") }

func chartPath(ws, report, query, chart string) *apiPath {
	return chartsPath(ws, report, query).tok("chart", chart)
}

// chartPolicy caches a query's charts, or one of them, for the metadata TTL, tagged with the
// report and the query: a write of the query (UpdateQuery, DeleteQuery, which deletes its
// charts) invalidates its path, and so them.
func (c *Client) chartPolicy(ws, report, query string) cachePolicy {
	return c.metadata(reportScopeTag(ws, report), apiPathOf(queryPath(ws, report, query)))
}

// ListQueryChartsPage returns one page of a query's charts:
// GET /api/{workspace}/reports/{report}/queries/{query}/charts.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) ListQueryChartsPage(ctx context.Context, workspace, report, query string, page int, opts *ListOptions) (*Page[Chart], error) {
	q, page, err := c.pageQuery(page, opts)
	if err != nil {
		return nil, err
	}
	p := chartsPath(workspace, report, query)
	if p.err != nil {
		return nil, p.err
	}
	return listPage[Chart](ctx, c, p, q, page, "charts", c.chartPolicy(workspace, report, query))
}

// ListQueryCharts iterates over all of a query's charts, fetching pages lazily.
// The items yielded share their links and other maps and slices with the
// cache: read-only (see Shared values in the package doc).
func (c *Client) ListQueryCharts(ctx context.Context, workspace, report, query string, opts *ListOptions) iter.Seq2[Chart, error] {
	return listAll(func(page int) (*Page[Chart], error) {
		return c.ListQueryChartsPage(ctx, workspace, report, query, page, opts)
	}, func(ch Chart) string { return ch.Token })
}

// GetChart returns one chart of a query:
// GET /api/{workspace}/reports/{report}/queries/{query}/charts/{chart}.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) GetChart(ctx context.Context, workspace, report, query, chart string) (*Chart, error) {
	p := chartPath(workspace, report, query, chart)
	if p.err != nil {
		return nil, p.err
	}
	return getJSON[Chart](ctx, c, p, nil, c.chartPolicy(workspace, report, query))
}
