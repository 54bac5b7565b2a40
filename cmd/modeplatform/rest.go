package main

import (
	"net/http"

	"github.com/modeplatform/modeplatform/internal/rest"
	"github.com/modeplatform/modeplatform/service"
)

// restRoutes mounts on mux the REST routes of the services routes serves (package rest: vanguard
// transcoding REST into those same handlers, so every interceptor applies) under /v1/, and the
// OpenAPI document of those routes at /openapi.yaml. The Connect, gRPC and gRPC-Web paths keep
// their own mux entries: REST adds nothing to their path.
func restRoutes(mux *http.ServeMux, routes []service.Route) {
	h, err := rest.NewHandler(routes)
	if err != nil {
		// The transcoder is configured by the compiled-in contract alone (its services and
		// google.api.http rules), which proto/contract_test.go and this package's tests check: an
		// error here is a broken build, never a deployment's setting.
		panic(err)
	}
	mux.Handle(rest.Prefix, h)
	mux.Handle("GET "+rest.OpenAPIPath, rest.OpenAPIHandler())
}
