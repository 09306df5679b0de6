package pgtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
)

// Server is a throwaway PostgreSQL cluster in a temporary directory.
type Server struct {
	dir  string // owns everything; removed by stop
	bin  string // directory holding initdb and pg_ctl
	user *user.User
	url  string
	opts string // the server's options, for Restart
}

// findBin returns the directory holding initdb and pg_ctl: PATH first, then
// the newest /usr/lib/postgresql/*/bin (Debian does not put them on PATH).
func findBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "pg_ctl")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return version(b) - version(a) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("initdb and pg_ctl not found on PATH or under /usr/lib/postgresql/*/bin")
}

// version is the major version in /usr/lib/postgresql/<v>/bin.
func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// Start starts a throwaway server from the local PostgreSQL install, for
// programs (benchmarks) that cannot use Main. Stop it when done. Tests use
// URL or Pool instead, which share one server per test binary.
func Start() (*Server, error) { return startServer(false) }

// StartCrashSafe is Start with PostgreSQL's durable defaults (fsync,
// synchronous_commit and full_page_writes on), so neither a killed server
// nor a crash of the machine loses an acknowledged commit (the throwaway
// default trades that for speed).
func StartCrashSafe() (*Server, error) { return startServer(true) }

func startServer(crashSafe bool) (*Server, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin}
	if os.Geteuid() == 0 { // initdb refuses to run as root
		if s.user, err = user.Lookup("postgres"); err != nil {
			return nil, fmt.Errorf("running as root needs a postgres user: %w", err)
		}
	}
	if s.dir, err = os.MkdirTemp("", "jetgraph-pgtest-"); err != nil {
		return nil, err
	}
	if err := s.chown(s.dir); err != nil {
		os.RemoveAll(s.dir)
		return nil, err
	}
	if err := s.run("initdb", "-D", s.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		os.RemoveAll(s.dir)
		return nil, err
	}
	// A free port can be taken between our probe and the server's bind: try
	// a few.
	for range 3 {
		port, perr := freePort()
		if perr != nil {
			err = perr
			break
		}
		s.opts = fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s"+
			" -c fsync=%[3]s -c synchronous_commit=%[3]s -c full_page_writes=%[3]s -c max_connections=200 -c shared_buffers=32MB",
			port, s.dir, map[bool]string{false: "off", true: "on"}[crashSafe])
		err = s.start()
		if err == nil {
			s.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
			return s, nil
		}
	}
	logText, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
	os.RemoveAll(s.dir)
	return nil, fmt.Errorf("%w\nserver log:\n%s", err, logText)
}

func (s *Server) data() string { return filepath.Join(s.dir, "data") }

// URL returns the server's connection URL (user postgres, trust auth).
func (s *Server) URL() string { return s.url }

func (s *Server) start() error {
	return s.run("pg_ctl", "start", "-w", "-t", "60", "-D", s.data(), "-l", filepath.Join(s.dir, "server.log"), "-o", s.opts)
}

// Kill stops the server at once, as a crash would (pg_ctl's immediate
// mode), and keeps its data for Restart.
func (s *Server) Kill() error {
	return s.run("pg_ctl", "stop", "-m", "immediate", "-w", "-D", s.data())
}

// Restart starts a killed server again on its data and port.
func (s *Server) Restart() error { return s.start() }

// Stop stops the server and removes its directory.
func (s *Server) Stop() error {
	defer os.RemoveAll(s.dir)
	return s.run("pg_ctl", "stop", "-m", "fast", "-w", "-D", s.data())
}

// run runs a PostgreSQL binary, as the postgres user when we are root.
func (s *Server) run(name string, args ...string) error {
	path := filepath.Join(s.bin, name)
	var cmd *exec.Cmd
	if s.user != nil {
		cmd = exec.Command("runuser", append([]string{"-u", s.user.Username, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = s.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, out.Bytes())
	}
	return nil
}

func (s *Server) chown(dir string) error {
	if s.user == nil {
		return nil
	}
	uid, _ := strconv.Atoi(s.user.Uid)
	gid, _ := strconv.Atoi(s.user.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return fmt.Errorf("chown %s to postgres: %w", dir, err)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
