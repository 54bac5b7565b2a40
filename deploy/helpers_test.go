package deploy_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
)

// testVersion is the version the tests stamp into the binary.
const testVersion = "v0.0.0-deploytest"

// repoRoot is the repository root: this module lives in its deploy/ folder.
func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(wd)
}

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
	binaryOut  []byte
	binaryDir  string
)

// TestMain removes the binary built for the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if binaryDir != "" {
		_ = os.RemoveAll(binaryDir)
	}
	os.Exit(code)
}

// releaseBinary builds the server with scripts/build.sh, the script the Dockerfile runs, once
// for all the tests.
func releaseBinary(t *testing.T) string {
	t.Helper()
	root := repoRoot(t)
	binaryOnce.Do(func() {
		binaryDir, binaryErr = os.MkdirTemp("", "modeplatform-deploy-test-")
		if binaryErr != nil {
			return
		}
		binaryPath = filepath.Join(binaryDir, "modeplatform")
		cmd := exec.Command(filepath.Join(root, "scripts", "build.sh"), binaryPath)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "VERSION="+testVersion)
		binaryOut, binaryErr = cmd.CombinedOutput()
	})
	if binaryErr != nil {
		t.Fatalf("scripts/build.sh: %v\n%s", binaryErr, binaryOut)
	}
	return binaryPath
}

var (
	helpOnce sync.Once
	helpEnv  map[string]bool
	helpErr  error
)

// serverEnvVars returns the environment variables the server reads, from its --help: each flag
// is listed with "(env NAME)".
func serverEnvVars(t *testing.T) map[string]bool {
	t.Helper()
	bin := releaseBinary(t)
	helpOnce.Do(func() {
		var out bytes.Buffer
		cmd := exec.Command(bin, "--help")
		cmd.Stdout, cmd.Stderr = &out, &out
		cmd.Env = []string{} // no setting from this environment
		if err := cmd.Run(); err != nil {
			helpErr = err
			return
		}
		helpEnv = map[string]bool{}
		for _, m := range regexp.MustCompile(`\(env ([A-Z0-9_]+)\)`).FindAllStringSubmatch(out.String(), -1) {
			helpEnv[m[1]] = true
		}
	})
	if helpErr != nil || len(helpEnv) == 0 {
		t.Fatalf("modeplatform --help: %v (found %d environment variables)", helpErr, len(helpEnv))
	}
	return helpEnv
}

// kustomize renders a kustomization directory (relative to deploy/) with the kustomize of this
// module's tool directive.
func kustomize(t *testing.T, dir string) []byte {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("go", "tool", "kustomize", "build", dir)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go tool kustomize build %s: %v\n%s", dir, err, stderr.String())
	}
	return stdout.Bytes()
}
