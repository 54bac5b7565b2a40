package deploy_test

import (
	"bufio"
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd   string // upper case: FROM, RUN, …
	args  string
	stage int // index of the stage it belongs to (FROM starts one)
	line  int
}

// parseDockerfile reads the instructions of a Dockerfile: comments and blank lines dropped,
// lines ending in a backslash joined with the next.
func parseDockerfile(t *testing.T, path string) []instruction {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		out     []instruction
		pending strings.Builder
		start   int
		stage   = -1
	)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if pending.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if pending.Len() == 0 {
			start = n
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			pending.WriteString(cont + " ")
			continue
		}
		pending.WriteString(line)
		cmd, args, _ := strings.Cut(pending.String(), " ")
		cmd = strings.ToUpper(cmd)
		if cmd == "FROM" {
			stage++
		}
		out = append(out, instruction{cmd: cmd, args: strings.TrimSpace(args), stage: stage, line: start})
		pending.Reset()
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// imageRef splits "name[:tag][@digest] [AS stage]".
func imageRef(from string) (name, tag, alias string) {
	fields := strings.Fields(from)
	ref := fields[0]
	if len(fields) == 3 && strings.EqualFold(fields[1], "AS") {
		alias = fields[2]
	}
	if i := strings.Index(ref, "@"); i >= 0 {
		return ref[:i], ref[i:], alias
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[:i], ref[i+1:], alias
	}
	return ref, "", alias
}

// goDirective returns the go line of the server's go.mod, e.g. "1.26.7".
func goDirective(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+(?:\.\d+)?)\s*$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	return string(m[1])
}

// versionAtLeast compares dotted versions numerically.
func versionAtLeast(have, want string) bool {
	h, w := strings.Split(have, "."), strings.Split(want, ".")
	for i := range max(len(h), len(w)) {
		var a, b int
		if i < len(h) {
			a, _ = strconv.Atoi(h[i])
		}
		if i < len(w) {
			b, _ = strconv.Atoi(w[i])
		}
		if a != b {
			return a > b
		}
	}
	return true
}

// TestDockerfile checks the Dockerfile's structure: what a linter such as hadolint would and
// what this project needs (hadolint is in neither Debian nor npm; scripts/test-deploy.sh also
// runs dockerfile-utils' linter).
func TestDockerfile(t *testing.T) {
	ins := parseDockerfile(t, filepath.Join(repoRoot(t), "Dockerfile"))
	stages := map[int]instruction{}
	var last int
	for _, in := range ins {
		if in.cmd == "FROM" {
			stages[in.stage] = in
			last = in.stage
		}
	}
	final := func(cmd string) []instruction {
		var out []instruction
		for _, in := range ins {
			if in.cmd == cmd && in.stage == last {
				out = append(out, in)
			}
		}
		return out
	}
	all := func(cmd string) []instruction {
		var out []instruction
		for _, in := range ins {
			if in.cmd == cmd {
				out = append(out, in)
			}
		}
		return out
	}
	_, _, builder := imageRef(stages[0].args)

	checks := []struct {
		name  string
		check func() string // "" when fine, else what is wrong
	}{
		{"multi-stage", func() string {
			if len(stages) < 2 {
				return "one stage: the toolchain would ship in the image"
			}
			return ""
		}},
		{"every base image pinned to a tag or digest, never latest", func() string {
			for _, s := range stages {
				name, tag, _ := imageRef(s.args)
				if tag == "" || tag == "latest" {
					return "line " + strconv.Itoa(s.line) + ": " + name + " is not pinned"
				}
			}
			return ""
		}},
		{"the builder's Go is at least go.mod's", func() string {
			name, tag, _ := imageRef(stages[0].args)
			v := regexp.MustCompile(`^\d+\.\d+(\.\d+)?`).FindString(tag)
			if name != "golang" || v == "" {
				return "the first stage should be an official golang image with a version tag, not " + stages[0].args
			}
			if want := goDirective(t); !versionAtLeast(v, want) {
				return "golang:" + v + " is older than go.mod's go " + want
			}
			return ""
		}},
		{"the runtime image is distroless static (no shell, no libc)", func() string {
			name, _, _ := imageRef(stages[last].args)
			if !strings.HasPrefix(name, "gcr.io/distroless/static") {
				return "the final stage is " + name
			}
			return ""
		}},
		{"the binary is built by scripts/build.sh and nothing else", func() string {
			var builds int
			for _, r := range all("RUN") {
				if strings.Contains(r.args, "go build") || strings.Contains(r.args, "-ldflags") {
					return "line " + strconv.Itoa(r.line) + " builds with its own flags: use scripts/build.sh"
				}
				if strings.Contains(r.args, "./scripts/build.sh /out/modeplatform") {
					builds++
				}
			}
			if builds != 1 {
				return "want exactly one RUN of ./scripts/build.sh /out/modeplatform, found " + strconv.Itoa(builds)
			}
			return ""
		}},
		{"the final stage copies that binary from the builder", func() string {
			for _, c := range final("COPY") {
				if strings.Contains(c.args, "--from="+builder+" /out/modeplatform ") {
					return ""
				}
			}
			return "no COPY --from=" + builder + " /out/modeplatform"
		}},
		{"no ADD (no remote URLs, no implicit unpacking)", func() string {
			if a := all("ADD"); len(a) > 0 {
				return "line " + strconv.Itoa(a[0].line) + ": use COPY"
			}
			return ""
		}},
		{"a numeric non-root USER (runAsNonRoot can verify it)", func() string {
			u := final("USER")
			if len(u) == 0 {
				return "no USER in the final stage"
			}
			uid, gid, _ := strings.Cut(u[len(u)-1].args, ":")
			n, err := strconv.Atoi(uid)
			if err != nil || n == 0 {
				return "USER " + u[len(u)-1].args + " is not a numeric non-root user"
			}
			if gid != "" {
				if _, err := strconv.Atoi(gid); err != nil {
					return "the group is not numeric"
				}
			}
			return ""
		}},
		{"EXPOSE 8080 (API) and 9090 (admin)", func() string {
			var ports []string
			for _, e := range final("EXPOSE") {
				ports = append(ports, strings.Fields(e.args)...)
			}
			for _, p := range []string{"8080", "9090"} {
				if !slices.Contains(ports, p) && !slices.Contains(ports, p+"/tcp") {
					return "port " + p + " not exposed (have " + strings.Join(ports, " ") + ")"
				}
			}
			return ""
		}},
		{"listen on all interfaces inside the container", func() string {
			var env string
			for _, e := range final("ENV") {
				env += " " + e.args
			}
			for _, kv := range []string{"LISTEN_ADDR=0.0.0.0:8080", "ADMIN_ADDR=0.0.0.0:9090"} {
				if !strings.Contains(env, kv) {
					return "no ENV " + kv
				}
			}
			return ""
		}},
		{"ENTRYPOINT in exec form (signals reach the server)", func() string {
			e := final("ENTRYPOINT")
			if len(e) != 1 {
				return "want one ENTRYPOINT"
			}
			var argv []string
			if json.Unmarshal([]byte(e[0].args), &argv) != nil || len(argv) == 0 {
				return "ENTRYPOINT " + e[0].args + " is not a JSON array"
			}
			return ""
		}},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if msg := c.check(); msg != "" {
				t.Error(msg)
			}
		})
	}
}

// TestDockerignore keeps the build context free of what must not or need not be sent, and keeps
// what the build needs.
func TestDockerignore(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for _, want := range []string{".git", "**/node_modules"} {
		if !slices.Contains(lines, want) {
			t.Errorf(".dockerignore does not exclude %s", want)
		}
	}
	for _, l := range lines {
		if l == "web" || l == "web/dist" || l == "scripts" || l == "*.go" {
			t.Errorf(".dockerignore excludes %s, which the build needs", l)
		}
	}
}

// TestReleaseBinary builds the binary exactly as the Dockerfile does and checks it is static,
// stamped and honest about its version.
func TestReleaseBinary(t *testing.T) {
	bin := releaseBinary(t)

	t.Run("static", func(t *testing.T) {
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
				t.Errorf("program header %v: the binary is dynamically linked", p.Type)
			}
		}
		if s := f.Section(".dynamic"); s != nil {
			t.Error("the binary has a .dynamic section")
		}
		if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
			t.Errorf("the binary needs %v", libs)
		}
		if s := f.Section(".symtab"); s != nil {
			t.Error("the binary keeps its symbol table (-s missing)")
		}
		for _, s := range f.Sections {
			if strings.HasPrefix(s.Name, ".debug_") || strings.HasPrefix(s.Name, ".zdebug_") {
				t.Errorf("the binary keeps DWARF section %s (-w missing)", s.Name)
			}
		}
	})

	t.Run("build settings", func(t *testing.T) {
		bi, err := buildinfo.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		settings := map[string]string{}
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
		for k, want := range map[string]string{"CGO_ENABLED": "0", "-trimpath": "true"} {
			if settings[k] != want {
				t.Errorf("build setting %s = %q, want %q", k, settings[k], want)
			}
		}
		// With -trimpath the go command records no -ldflags: -s and -w show in the ELF sections
		// (above and below), -X main.buildVersion in the version the server reports.
		if bi.Path != "github.com/modeplatform/modeplatform/cmd/modeplatform" {
			t.Errorf("built %s, want the server", bi.Path)
		}
	})

	t.Run("reports its version", func(t *testing.T) {
		cmd := exec.Command(bin)
		// Loopback, no admin listener, no credentials (the built-in emulator): it starts anywhere.
		cmd.Env = []string{"LISTEN_ADDR=127.0.0.1:0", "ADMIN_ADDR=off", "LOG_FORMAT=json", "HOME=" + t.TempDir()}
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout = io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("the server did not exit cleanly on SIGTERM: %v", err)
				}
			case <-time.After(time.Minute):
				_ = cmd.Process.Kill()
				t.Error("the server did not stop within a minute of SIGTERM")
			}
		}()
		sc := bufio.NewScanner(stderr)
		found := ""
		for sc.Scan() {
			var rec map[string]any
			if json.Unmarshal(sc.Bytes(), &rec) != nil {
				continue
			}
			if v, ok := rec["version"].(string); ok {
				found = v
				break
			}
		}
		go func() { _, _ = io.Copy(io.Discard, stderr) }()
		if found != testVersion {
			t.Errorf("the server logged version %q, want %q", found, testVersion)
		}
	})
}
