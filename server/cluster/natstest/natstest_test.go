package natstest_test

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tickwire/tickwire/server/cluster/natstest"
)

func TestClusterReplicatesAndSurvivesAServer(t *testing.T) {
	start := time.Now()
	c := natstest.StartT(t)
	t.Logf("cluster up in %v", time.Since(start))
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
	if _, err := kv.PutString(ctx, "b", "2"); err != nil {
		t.Fatalf("put with one server down: %v", err)
	}
	if e, err := kv.Get(ctx, "a"); err != nil || string(e.Value()) != "1" {
		t.Fatalf("get a: %v %v", e, err)
	}
	if err := c.Restart(0); err != nil {
		t.Fatal(err)
	}
	t.Logf("done in %v", time.Since(start))
}
