package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/jetgraph/jetgraph/saver"
)

// The exit codes scripts can rely on.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// usageError is a command line that cannot run: exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// badInput is a well-formed command whose input the graph refuses (an
// unknown node): exit code 1, and 400 from the ui's API.
type badInput struct{ err error }

func (e badInput) Error() string { return e.err.Error() }
func (e badInput) Unwrap() error { return e.err }

// Main runs the command line args and returns the process's exit code,
// printing an error on stderr in one line.
func Main(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := run(ctx, args, env, stdin, stdout, stderr)
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "jetgraph:", oneLine(err))
	return exitCode(err)
}

// exitCode maps an error to the exit code.
func exitCode(err error) int {
	var u usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &u), errors.Is(err, saver.ErrInvalid),
		strings.HasPrefix(err.Error(), "unknown command"), strings.HasPrefix(err.Error(), "unknown flag"),
		strings.HasPrefix(err.Error(), "required flag"):
		return exitUsage
	}
	return exitError
}

// oneLine puts an error's message on one line.
func oneLine(err error) string {
	lines := strings.FieldsFunc(err.Error(), func(r rune) bool { return r == '\n' || r == '\r' })
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, "; ")
}
