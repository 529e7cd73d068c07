package cluster

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Results timings. A result is kept up to resultsKeep waiting for the database node; one
// the database node fails to record is offered again after resultRetry.
const (
	resultsKeep = 7 * 24 * time.Hour
	resultRetry = time.Second
	// resultsAckWait is how long a result taken by the database node may go unacknowledged
	// before JetStream offers it again (the node died between taking and recording it).
	resultsAckWait = 30 * time.Second
)

func (n *Node) resultsSubject() string { return n.name("tickwire.results") }

// openResults makes (or opens) the results stream: a work queue, so that a result leaves it
// once the database node has acknowledged it.
func openResults(ctx context.Context, n *Node) (jetstream.Stream, error) {
	cfg := jetstream.StreamConfig{Name: n.name("tickwire_results"), Description: "Tickwire round results for the database node",
		Subjects: []string{n.resultsSubject()}, Retention: jetstream.WorkQueuePolicy, MaxAge: resultsKeep,
		Storage: jetstream.FileStorage, Duplicates: 2 * time.Minute}
	s, err := replicatedStream(ctx, n.js, cfg)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// PublishResult hands one round's result (id names it, so that a retried publish is stored
// once) to the results stream, trying again until JetStream has stored it or ctx ends.
func (n *Node) PublishResult(ctx context.Context, id string, data []byte) error {
	for {
		pctx, cancel := context.WithTimeout(ctx, putWait)
		_, err := n.js.Publish(pctx, n.resultsSubject(), data, jetstream.WithMsgID(id))
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("publish a result: %w", err)
		case <-time.After(catchUpWait):
		}
	}
}

// ConsumeResults, on the database node, takes the results game nodes published, through a
// durable consumer, and acknowledges each only once record has committed it: a result whose
// recording failed, or whose node died before acknowledging it, is offered again: record
// must be idempotent (the store records a round's key once), since a commit followed by a
// crash before the acknowledgement delivers that round again.
func (n *Node) ConsumeResults(ctx context.Context, record func(context.Context, []byte) error) error {
	s, err := openResults(ctx, n)
	if err != nil {
		return err
	}
	var cons jetstream.Consumer
	err = retry(ctx, func(ctx context.Context) error {
		var err error
		cons, err = s.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "database", AckPolicy: jetstream.AckExplicitPolicy,
			AckWait: resultsAckWait, MaxAckPending: 64})
		return err
	})
	if err != nil {
		return fmt.Errorf("results consumer: %w", err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		rctx, cancel := context.WithTimeout(n.ctx, resultsAckWait/2)
		defer cancel()
		if meta, err := m.Metadata(); err == nil {
			n.counts.resultsPending.Store(meta.NumPending)
			if meta.NumDelivered > 1 {
				n.counts.redelivered.Add(1)
			}
		}
		if err := record(rctx, m.Data()); err != nil {
			n.counts.recordFailed.Add(1)
			n.log.Warn("record a result from the cluster; offered again", "err", err)
			_ = m.NakWithDelay(resultRetry)
			return
		}
		n.counts.recorded.Add(1)
		if err := m.DoubleAck(rctx); err != nil {
			n.log.Warn("acknowledge a recorded result", "err", err)
		}
	}, consumeBeats()...)
	if err != nil {
		return fmt.Errorf("results consumer: %w", err)
	}
	n.resultsCC = cc
	return nil
}
