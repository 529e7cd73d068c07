package goclient_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tickwire/tickwire/auth/oidc"
	"github.com/tickwire/tickwire/auth/oidc/oidctest"
	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/server/servertest"
)

func TestLoginWithIDToken(t *testing.T) {
	p, err := oidctest.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.AddUser(oidctest.User{Subject: "sub-nat", Username: "nat", Password: "pw", PreferredUsername: "nat"})
	ts := servertest.Start(t, func(c *serverConfig) {
		c.OIDC = []oidc.Config{{Name: "test", DisplayName: "Test ID", Issuer: p.Issuer, ClientID: "game", ClientSecret: "s"}}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := goclient.New(ts.URL())
	ps, err := c.Providers(ctx)
	if err != nil || len(ps) != 1 || ps[0] != (goclient.Provider{Name: "test", DisplayName: "Test ID"}) {
		t.Fatalf("providers %v, %v", ps, err)
	}
	idt, err := p.IDToken("nat", "game", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.LoginWithIDToken(ctx, "test", idt)
	if err != nil {
		t.Fatal(err)
	}
	me, err := c.Me(ctx, tok.AccessToken)
	if err != nil || me.Username != "nat" {
		t.Errorf("me: %+v %v", me, err)
	}
	other, _ := p.IDToken("nat", "another-game", time.Minute)
	_, err = c.LoginWithIDToken(ctx, "test", other)
	var ae *goclient.APIError
	if !errors.As(err, &ae) || ae.Status != 401 || ae.Code != "invalid_token" {
		t.Errorf("an ID token for another client: %v", err)
	}
}
