package modetest

import "net/http"

// Data sources.

type dataSourceJSON struct {
	ID                        int            `json:"id"`
	Name                      string         `json:"name"`
	Description               string         `json:"description"`
	Token                     string         `json:"token"`
	Adapter                   string         `json:"adapter"`
	CreatedAt                 string         `json:"created_at"`
	UpdatedAt                 string         `json:"updated_at"`
	HasExpensiveSchemaUpdates bool           `json:"has_expensive_schema_updates"`
	Public                    bool           `json:"public"`
	Asleep                    bool           `json:"asleep"`
	Queryable                 bool           `json:"queryable"`
	SoftDeleted               bool           `json:"soft_deleted"`
	DisplayName               string         `json:"display_name"`
	AccountID                 int            `json:"account_id"`
	AccountUsername           string         `json:"account_username"`
	OrganizationToken         string         `json:"organization_token"`
	OrganizationPlanCode      string         `json:"organization_plan_code"`
	Database                  string         `json:"database"`
	Host                      string         `json:"host"`
	Port                      int            `json:"port"`
	SSL                       bool           `json:"ssl"`
	Username                  string         `json:"username"`
	Provider                  *string        `json:"provider"`
	Vendor                    string         `json:"vendor"`
	LDAP                      bool           `json:"ldap"`
	Warehouse                 *string        `json:"warehouse"`
	Bridged                   bool           `json:"bridged"`
	AdapterVersion            string         `json:"adapter_version"`
	CustomAttributes          map[string]any `json:"custom_attributes"`
	DefaultAccessLevel        string         `json:"default_access_level"`
	Links                     links          `json:"_links"`
}

func (e *Emulator) dataSourceJSON(d *dataSource) dataSourceJSON {
	a := d.ws.account
	ws := a.username
	return dataSourceJSON{
		ID: d.id, Name: d.name, Description: d.description, Token: d.token, Adapter: d.adapter,
		CreatedAt: formatTime(d.createdAt), UpdatedAt: formatTime(d.updatedAt), Public: true, Queryable: true,
		DisplayName: d.displayName, AccountID: a.id, AccountUsername: ws, OrganizationToken: a.token,
		OrganizationPlanCode: "plus", Database: d.database, Host: d.host, Port: d.port, SSL: true,
		Username: d.username, Vendor: d.vendor, AdapterVersion: "v2", CustomAttributes: map[string]any{},
		DefaultAccessLevel: "query",
		Links: links{
			"self":    href(api(ws, "data_sources", d.token)),
			"creator": href(api(d.creator)),
			"account": href(api(ws)),
			// permissions (optional) is left out: the emulator does not serve them.
			"web":      href(web(ws, "data_sources", d.token)),
			"web_home": href(web("home", "data_sources", d.token)),
			"reports":  href(api(ws, "data_sources", d.token, "reports")),
			"datasets": href(api(ws, "data_sources", d.token, "datasets")), // the emulator's addition
		},
	}
}

func (e *Emulator) listDataSources(w http.ResponseWriter, r *http.Request) {
	pr, ok := e.parsePage(w, r)
	if !ok {
		return
	}
	e.mu.Lock()
	st := urlWS(r)
	all := make([]dataSourceJSON, 0, len(st.dataSources))
	for _, d := range st.dataSources {
		all = append(all, e.dataSourceJSON(d))
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, pageOf(r, pr, "data_sources", all))
}

func (e *Emulator) getDataSource(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	d := e.findDataSource(r)
	var body dataSourceJSON
	if d != nil {
		body = e.dataSourceJSON(d)
	}
	e.mu.Unlock()
	if d == nil {
		notFound(w, "Data source")
		return
	}
	writeJSON(w, http.StatusOK, body)
}
