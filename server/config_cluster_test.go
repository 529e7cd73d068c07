package server_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server"
)

func TestClusterSettings(t *testing.T) {
	t.Run("alone by default", func(t *testing.T) {
		c := server.DefaultConfig()
		if c.Clustered() || c.Role != server.RoleAll || c.ClusterGrace != 10*time.Second || c.NodeID != "" {
			t.Fatalf("defaults: nats %v role %q grace %v node %q", c.NATS, c.Role, c.ClusterGrace, c.NodeID)
		}
	})
	t.Run("every cluster setting from flags and the environment", func(t *testing.T) {
		env := map[string]string{"TICKWIRE_NATS": "nats://10.0.0.1:4222, nats://10.0.0.2:4222", "TICKWIRE_ROLE": "game"}
		c, _, err := server.ParseConfig("serve", []string{"--public-url", "https://eu1.play.example", "--node-id", "eu-1:8080",
			"--cluster-grace", "3s"}, func(k string) string { return env[k] }, &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		if !c.Clustered() || len(c.NATS) != 2 || c.NATS[1] != "nats://10.0.0.2:4222" || c.Role != server.RoleGame ||
			c.NodeID != "eu-1:8080" || c.ClusterGrace != 3*time.Second || c.PublicURL != "https://eu1.play.example" {
			t.Fatalf("parsed %+v", c)
		}
	})
}
