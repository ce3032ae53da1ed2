// Package cli is the ssoflow command: one file per subcommand, each registering itself in
// init. The subcommands reuse the same cores the Lambda functions run, so what the CLI does
// from a laptop is what the pipeline does in AWS.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// Command is one subcommand.
type Command struct {
	Name    string
	Summary string
	// Run executes the command with its arguments (after the name). Returning ErrUsage prints
	// the command's flags.
	Run func(ctx context.Context, env *Env, args []string) error
}

// Env is what a command may use of its surroundings, replaceable in tests.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Now            func() time.Time // the clock; nil is the wall clock
}

// now is the command's clock: tests set Env.Now, so nothing a command prints or sends depends
// on the date or hour a test happens to run at.
func (e *Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// ErrUsage asks for the usage text.
var ErrUsage = errors.New("usage")

var commands = map[string]Command{}

func register(c Command) { commands[c.Name] = c }

// Main runs the command line and returns the process exit code.
func Main(ctx context.Context, args []string, env *Env) int {
	if env == nil {
		env = &Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "ssoflow: unknown command %q\n\n", args[0])
		usage(env.Stderr)
		return 2
	}
	if err := c.Run(ctx, env, args[1:]); err != nil {
		if errors.Is(err, ErrUsage) || errors.Is(err, flag.ErrHelp) {
			return 2
		}
		fmt.Fprintf(env.Stderr, "ssoflow %s: %v\n", c.Name, err)
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "ssoflow keeps AWS IAM Identity Center and your databases in step with Okta.\n\nUsage: ssoflow <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].Summary)
	}
	fmt.Fprintln(w, "\nRun `ssoflow <command> -h` for a command's flags.")
}

// flags returns a FlagSet that prints its usage to env.Stderr.
func flags(env *Env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: ssoflow %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// fromEnv returns the flag value if set, else the environment variable's.
func fromEnv(env *Env, flagValue, name string) string {
	if flagValue != "" {
		return flagValue
	}
	return strings.TrimSpace(env.Getenv(name))
}
