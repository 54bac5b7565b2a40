package upstream

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/modeplatform/modeplatform/modeclient"
)

// maxCredentialsBytes bounds a credentials file.
const maxCredentialsBytes = 1 << 20

// credentialsFile is the YAML form of a credentials file.
type credentialsFile struct {
	Workspaces map[string]struct {
		Token     string `yaml:"token"`
		Secret    string `yaml:"secret"`
		TokenEnv  string `yaml:"token_env"`
		SecretEnv string `yaml:"secret_env"`
	} `yaml:"workspaces"`
}

// Credentials maps Mode workspaces to the credential that serves each.
type Credentials map[string]modeclient.Credential

// Workspaces returns the workspaces, sorted.
func (c Credentials) Workspaces() []string {
	out := make([]string, 0, len(c))
	for w := range c {
		out = append(out, w)
	}
	sort.Strings(out)
	return out
}

// LoadCredentials reads the credentials file at path:
//
//	workspaces:
//	  parch_and_posey:                 # Mode workspace username
//	    token_env: MODE_PARCH_TOKEN    # read from this environment variable …
//	    secret_env: MODE_PARCH_SECRET
//	  acme:
//	    token: 4f1c…                   # … or given here (keep the file private: 0600)
//	    secret: 9b2d…
//
// getenv resolves the *_env references. Errors name the workspace and the
// field, never a value.
func LoadCredentials(path string, getenv func(string) string) (Credentials, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("credentials file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCredentialsBytes+1))
	if err != nil {
		return nil, fmt.Errorf("credentials file %s: %w", path, err)
	}
	c, err := ParseCredentials(data, getenv)
	if err != nil {
		return nil, fmt.Errorf("credentials file %s: %w", path, err)
	}
	return c, nil
}

// ParseCredentials parses a credentials file's content (see LoadCredentials).
func ParseCredentials(data []byte, getenv func(string) string) (Credentials, error) {
	if len(data) > maxCredentialsBytes {
		return nil, fmt.Errorf("larger than %d bytes", maxCredentialsBytes)
	}
	var cf credentialsFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cf); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty: list the workspaces under workspaces:")
		}
		// The decoder's messages may quote a value (a secret): say only where.
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("not a credentials file: %d field(s) unknown or of the wrong type (fields: token, secret, token_env, secret_env)", len(te.Errors))
		}
		return nil, errors.New("not a credentials file: invalid YAML")
	}
	if len(cf.Workspaces) == 0 {
		return nil, errors.New("no workspaces: list them under workspaces:")
	}
	out := Credentials{}
	var errs []error
	for _, w := range sortedKeys(cf.Workspaces) {
		e := cf.Workspaces[w]
		if !modeclient.ValidWorkspace(w) {
			errs = append(errs, fmt.Errorf("workspace %q is not a Mode workspace name", w))
			continue
		}
		token, err := pick(w, "token", e.Token, e.TokenEnv, getenv)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		secret, err := pick(w, "secret", e.Secret, e.SecretEnv, getenv)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[w] = modeclient.Credential{Token: token, Secret: secret}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// pick returns a value given either inline or by an environment variable.
func pick(workspace, field, inline, env string, getenv func(string) string) (string, error) {
	switch {
	case inline != "" && env != "":
		return "", fmt.Errorf("workspace %s: give %s or %s_env, not both", workspace, field, field)
	case env != "":
		if getenv == nil {
			getenv = os.Getenv
		}
		v := strings.TrimSpace(getenv(env))
		if v == "" {
			return "", fmt.Errorf("workspace %s: %s_env names %s, which is not set", workspace, field, env)
		}
		return v, nil
	case inline != "":
		return strings.TrimSpace(inline), nil
	}
	return "", fmt.Errorf("workspace %s: %s (or %s_env) is required", workspace, field, field)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
