// Package cluster is Tickwire's control plane on NATS with JetStream, and the one package of
// Tickwire that speaks NATS. Ticks never cross it: a lobby runs on one node and its players
// play on that node; NATS carries what the nodes must agree on.
//
// What it owns, by file:
//   - node.go: Node, the link to NATS (reconnecting for ever) and whether this node is cut
//     off from it;
//   - directory.go: the directory in two replicated JetStream key-value buckets, the nodes
//     (public URL, load, a heartbeat that expires) and the lobbies of every node, which each
//     node publishes as they change and watches into memory, so that listings and look-ups
//     never wait on NATS.
//
// Names in NATS all begin with Config.Prefix, so that several clusters (or tests) may share
// one NATS cluster. Buckets and streams are made with three replicas, or one when the NATS
// server is not clustered.
//
// Concurrency: a Node is safe for use by any number of goroutines; it runs a goroutine of its
// own per watched bucket and one that publishes this node's state, until Close.
package cluster
