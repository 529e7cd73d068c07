// Command oidcprovider runs the test OpenID provider of package oidctest on loopback, for
// browser tests and trying a server by hand. It prints its issuer URL on a line of its own once
// it listens, and serves until killed.
//
//	oidcprovider -addr 127.0.0.1:0 -client tickwire -secret s3cret \
//	    -redirect http://127.0.0.1:8080/api/v1/auth/oidc/test/callback -user alice:password1
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/tickwire/tickwire/auth/oidc/oidctest"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	clientID := flag.String("client", "tickwire", "client id")
	secret := flag.String("secret", "test-secret", "client secret")
	var redirects, users list
	flag.Var(&redirects, "redirect", "a redirect URI the client may use (repeatable)")
	flag.Var(&users, "user", "a user as name:password (repeatable); its subject is sub-<name>")
	flag.Parse()
	p, err := oidctest.Start(*addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "oidcprovider:", err)
		os.Exit(1)
	}
	p.AddClient(*clientID, *secret, redirects...)
	for _, u := range users {
		name, pw, ok := strings.Cut(u, ":")
		if !ok {
			fmt.Fprintln(os.Stderr, "oidcprovider: -user takes name:password")
			os.Exit(2)
		}
		p.AddUser(oidctest.User{Subject: "sub-" + name, Username: name, Password: pw, PreferredUsername: name, Name: name, Email: name + "@example.test"})
	}
	fmt.Println(p.Issuer)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	p.Close()
}
