// Command ssoflow is the operator's command line: the local demo, one-off syncs, replays of
// failed executions, reconcile plans, just-in-time grants and database tokens.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/ssoflow/ssoflow/functions/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Main(ctx, os.Args[1:], nil)
	stop()
	os.Exit(code)
}
