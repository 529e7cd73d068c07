// Command tickwire is a multiplayer game server: see README.md, or run "tickwire help".
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/tickwire/tickwire/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := server.Main(ctx, server.Env{Args: os.Args[1:], Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	stop()
	os.Exit(code)
}
