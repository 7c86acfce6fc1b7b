package main

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// goTool returns the go command of the toolchain `go env GOROOT` names.
func goTool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the function: %v", err)
	}
	out, err := exec.Command(path, "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "bin", "go")
}

func build(t *testing.T, goos, goarch, out string) {
	t.Helper()
	cmd := exec.Command(goTool(t), "build", "-tags", "lambda.norpc", "-o", out, ".")
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("GOOS=%s GOARCH=%s go build: %v\n%s", goos, goarch, err, b)
	}
}

// The function cross-compiles for Lambda's arm64 (Graviton) as a static
// linux binary without aws-lambda-go's RPC mode.
func TestBuildsForLambdaArm64(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "bootstrap")
	build(t, "linux", "arm64", out)
	f, err := elf.Open(out)
	if err != nil {
		t.Fatalf("bootstrap is not an ELF file: %v", err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 || f.Type != elf.ET_EXEC {
		t.Errorf("bootstrap is %v %v, want an AArch64 executable", f.Machine, f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("bootstrap is dynamically linked (has an interpreter); want CGO_ENABLED=0")
		}
	}
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range syms {
		if strings.HasPrefix(s.Name, "net/rpc.") {
			t.Fatalf("bootstrap contains %s: the lambda.norpc tag did not take", s.Name)
		}
	}
}

// Misconfigured, the function stops at start-up with one JSON log line that
// says what is missing (Lambda shows it as the init error).
func TestStartupConfigError(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "opsdesk-lambda")
	build(t, runtimeGOOS(t), runtimeGOARCH(t), out)
	cmd := exec.Command(out)
	cmd.Env = []string{"OPSDESK_TOKEN=odt_secret-value"}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, want status 1", err)
	}
	var line map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &line); err != nil {
		t.Fatalf("output %q is not one JSON line: %v", stdout.String(), err)
	}
	if line["level"] != "ERROR" || !strings.Contains(line["error"].(string), "OPSDESK_URL is not set") {
		t.Errorf("log line %v", line)
	}
	if strings.Contains(stdout.String(), "odt_secret-value") {
		t.Error("the token was logged")
	}
}

func runtimeGOOS(t *testing.T) string   { return goEnv(t, "GOHOSTOS") }
func runtimeGOARCH(t *testing.T) string { return goEnv(t, "GOHOSTARCH") }

func goEnv(t *testing.T, key string) string {
	t.Helper()
	out, err := exec.Command(goTool(t), "env", key).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", key, err)
	}
	return strings.TrimSpace(string(out))
}
