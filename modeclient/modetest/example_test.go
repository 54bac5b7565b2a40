package modetest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// The emulator is an http.Handler: serve it, then call Mode's API on it with Basic auth.
func Example() {
	emu, err := modetest.New(modetest.WithCredentials("token", "secret"))
	if err != nil {
		panic(err)
	}
	defer emu.Close()
	srv := httptest.NewServer(emu)
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL+"/api/"+modetest.DemoWorkspace, nil)
	req.SetBasicAuth("token", "secret")
	resp, err := srv.Client().Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var account struct {
		Username string `json:"username"`
		Name     string `json:"name"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&account); err != nil {
		panic(err)
	}
	fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"), account.Username, account.Name)
	// Output: 200 application/hal+json parch_and_posey Parch & Posey
}
