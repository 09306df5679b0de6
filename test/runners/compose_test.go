package runners_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/jetgraph/jetgraph/internal/natsproc"
)

// composeFile is the part of docker-compose.yml the test reads.
type composeFile struct {
	Services map[string]struct {
		Image      string   `yaml:"image"`
		Build      any      `yaml:"build"`
		Entrypoint []string `yaml:"entrypoint"`
		Command    []string `yaml:"command"`
		Volumes    []string `yaml:"volumes"`
		DependsOn  []string `yaml:"depends_on"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

// buildTool builds a Go main package once per test binary.
func buildTool(t *testing.T, pkg string) string {
	t.Helper()
	bin, err := natsproc.Binary(pkg)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// helpFlags runs a binary with args (ending in a help flag) and returns
// the flag names its help text lists.
func helpFlags(t *testing.T, bin string, args ...string) map[string]bool {
	t.Helper()
	out, _ := exec.CommandContext(t.Context(), bin, args...).CombinedOutput() // some exit non-zero on help
	flags := map[string]bool{}
	re := regexp.MustCompile(`(?m)(?:^|[\s,\[])--?([a-zA-Z][a-zA-Z0-9_-]*)`)
	for _, m := range re.FindAllStringSubmatch(string(out), -1) {
		flags[m[1]] = true
	}
	if len(flags) < 3 {
		t.Fatalf("%s %v listed no flags:\n%s", bin, args, out)
	}
	return flags
}

// checkFlags reports the flags of args that known does not list, and the
// flags (taking a value) whose value is missing.
func checkFlags(t *testing.T, service string, args []string, known map[string]bool) {
	t.Helper()
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !known[name] {
			t.Errorf("service %s: flag %s is not a flag of its binary", service, a)
		}
	}
}

// natsURLs returns the hosts of the nats:// URLs in args.
func natsHosts(args []string) []string {
	var hosts []string
	re := regexp.MustCompile(`nats://([^:/,]+)`)
	for _, a := range args {
		for _, m := range re.FindAllStringSubmatch(a, -1) {
			hosts = append(hosts, m[1])
		}
	}
	return hosts
}

// TestComposeFileMatchesTheBinaries parses docker-compose.yml and checks
// its shape (a 3-node JetStream cluster with routes and volumes, the
// projector, two or more runners and a client) and every service's command
// against the help of the real binaries: nats-server, jetgraph and
// node-runner.
func TestComposeFileMatchesTheBinaries(t *testing.T) {
	b, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var cf composeFile
	if err := yaml.Unmarshal(b, &cf); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	natsFlags := helpFlags(t, buildTool(t, natsproc.ServerPkg), "--help")
	jetgraphBin := buildTool(t, "github.com/jetgraph/jetgraph/cmd/jetgraph")
	runnerFlags := helpFlags(t, nodeRunner(t), "--help")
	startFlags := helpFlags(t, nodeRunner(t), "start", "--help")
	for _, f := range []struct {
		set  map[string]bool
		name string
	}{{natsFlags, "routes"}, {natsFlags, "store_dir"}, {runnerFlags, "max-deliver"}, {startFlags, "threads"}} {
		if !f.set[f.name] {
			t.Fatalf("help parsing lost flag %s", f.name)
		}
	}
	if runnerFlags["no-such-flag"] {
		t.Fatal("help parsing invents flags")
	}

	var natsServers, runners, projectors, clients []string
	for name, s := range cf.Services {
		for _, dep := range s.DependsOn {
			if _, ok := cf.Services[dep]; !ok {
				t.Errorf("service %s depends on unknown service %s", name, dep)
			}
		}
		for _, h := range natsHosts(s.Command) {
			if _, ok := cf.Services[h]; !ok && h != "0.0.0.0" {
				t.Errorf("service %s: NATS URL names unknown service %s", name, h)
			}
		}
		switch {
		case strings.HasPrefix(s.Image, "nats:"):
			natsServers = append(natsServers, name)
			checkFlags(t, name, s.Command, natsFlags)
			for _, want := range []string{"--jetstream", "--store_dir", "--cluster", "--cluster_name", "--routes", "--server_name"} {
				if !slices.Contains(s.Command, want) {
					t.Errorf("nats service %s: command lacks %s", name, want)
				}
			}
			dir := argOf(s.Command, "--store_dir")
			if !slices.ContainsFunc(s.Volumes, func(v string) bool {
				vol, path, _ := strings.Cut(v, ":")
				_, declared := cf.Volumes[vol]
				return path == dir && declared
			}) {
				t.Errorf("nats service %s: JetStream store %q is not on a declared volume (volumes %v)", name, dir, s.Volumes)
			}
		case len(s.Entrypoint) > 0 && filepath.Base(s.Entrypoint[0]) == "jetgraph":
			if len(s.Command) == 0 || s.Command[0] != "projector" {
				t.Errorf("service %s runs jetgraph %v; want the projector", name, s.Command)
				continue
			}
			projectors = append(projectors, name)
			checkFlags(t, name, s.Command[1:], helpFlags(t, jetgraphBin, "projector", "--help"))
		case len(s.Command) > 0 && s.Command[0] == "start":
			clients = append(clients, name)
			checkFlags(t, name, s.Command[1:], startFlags)
		default:
			runners = append(runners, name)
			checkFlags(t, name, s.Command, runnerFlags)
		}
		if !strings.HasPrefix(s.Image, "nats:") && s.Build == nil {
			t.Errorf("service %s: no build (the jetgraph image is built from the Dockerfile)", name)
		}
	}
	if len(natsServers) != 3 || len(projectors) != 1 || len(runners) < 2 || len(clients) < 1 {
		t.Fatalf("services: nats %v, projector %v, runners %v, clients %v; want 3 NATS servers, a projector, 2+ runners and a client", natsServers, projectors, runners, clients)
	}
	// Each server routes to the two others, in one named cluster.
	for _, name := range natsServers {
		s := cf.Services[name]
		routes := natsHosts([]string{argOf(s.Command, "--routes")})
		slices.Sort(routes)
		var others []string
		for _, o := range natsServers {
			if o != name {
				others = append(others, o)
			}
		}
		slices.Sort(others)
		if !slices.Equal(routes, others) {
			t.Errorf("nats service %s routes to %v, want %v", name, routes, others)
		}
		if argOf(s.Command, "--cluster_name") != argOf(cf.Services[natsServers[0]].Command, "--cluster_name") {
			t.Errorf("nats service %s: another cluster name", name)
		}
	}
	fmt.Printf("compose: nats=%d projector=%d runners=%d clients=%d\n", len(natsServers), len(projectors), len(runners), len(clients))
}

// argOf returns the value that follows flag in args.
func argOf(args []string, flag string) string {
	if i := slices.Index(args, flag); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}
