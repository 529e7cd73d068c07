package natstest_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tickwire/tickwire/server/cluster/natstest"
)

func TestMain(m *testing.M) {
	natstest.ServeIfChild()
	os.Exit(m.Run())
}

func TestClusterReplicatesAndSurvivesAServer(t *testing.T) {
	t.Run("embedded", func(t *testing.T) { replicatesAndSurvives(t, natstest.StartT(t)) })
	t.Run("child processes, one killed by SIGKILL", func(t *testing.T) { replicatesAndSurvives(t, natstest.StartProcessesT(t)) })
}

func replicatesAndSurvives(t *testing.T, c *natstest.Cluster) {
	start := time.Now()
	nc, err := nats.Connect(c.URLs())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := t.Context()
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "t", Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("R3 bucket in %v", time.Since(start))
	if _, err := kv.PutString(ctx, "a", "1"); err != nil {
		t.Fatal(err)
	}
	c.Kill(0)
	killed := time.Now()
	// Whichever server the client and the bucket's leader were on, within seconds the other
	// two take the writes and answer the reads.
	within(t, 20*time.Second, "put with one server down", func(ctx context.Context) error {
		_, err := kv.PutString(ctx, "b", "2")
		return err
	})
	within(t, 5*time.Second, "get with one server down", func(ctx context.Context) error {
		e, err := kv.Get(ctx, "a")
		if err == nil && string(e.Value()) != "1" {
			err = fmt.Errorf("a = %q", e.Value())
		}
		return err
	})
	t.Logf("the bucket took a put and answered a get %v after the kill", time.Since(killed).Round(time.Millisecond))
	if err := c.Restart(0); err != nil {
		t.Fatal(err)
	}
	t.Logf("done in %v", time.Since(start))
}

// within calls f, each call bounded by a second, until it succeeds, and fails the test when it
// has not within d.
func within(t *testing.T, d time.Duration, what string, f func(context.Context) error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		err := f(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v: %v", what, d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
