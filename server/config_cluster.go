package server

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Node roles (--role).
const (
	RoleAll  = "all"  // the database node: SQLite, the signing keys, and lobbies and sockets
	RoleGame = "game" // lobbies and sockets only; what needs the database goes to the database node
)

// nodeIDPattern is what a --node-id may be: short, printable, without spaces, so that it
// reads well in logs and listings.
var nodeIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$`)

// clusterSettings are the settings of section "Cluster (v1.3)" of the contract: several
// `tickwire serve` joined through NATS.
func (c *Config) clusterSettings() []setting {
	return []setting{
		{"nats", "TICKWIRE_NATS", "", "comma-separated NATS server URLs (JetStream enabled), like nats://10.0.0.1:4222,nats://10.0.0.2:4222: join a cluster; none: a single node without NATS", func(s string) error {
			c.NATS = nil
			for u := range strings.SplitSeq(s, ",") {
				if u = strings.TrimSpace(u); u == "" {
					continue
				}
				p, err := url.Parse(u)
				if err != nil || p.Host == "" || (p.Scheme != "nats" && p.Scheme != "tls" && p.Scheme != "ws" && p.Scheme != "wss") {
					return fmt.Errorf("%q is not a NATS URL like nats://10.0.0.1:4222", u)
				}
				c.NATS = append(c.NATS, u)
			}
			return nil
		}},
		{"node-id", "TICKWIRE_NODE_ID", "", "this node's unique name in the cluster (letters, digits, . _ : -, at most 64); none: the host name and the port", func(s string) error {
			if s != "" && !nodeIDPattern.MatchString(s) {
				return errors.New("must be 1 to 64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit")
			}
			c.NodeID = s
			return nil
		}},
		{"role", "TICKWIRE_ROLE", RoleAll, "all (the database node: SQLite and the signing keys) or game (lobbies and sockets, no database; needs --nats)", func(s string) error {
			if s != RoleAll && s != RoleGame {
				return errors.New("must be all or game")
			}
			c.Role = s
			return nil
		}},
		{"nats-nkey", "TICKWIRE_NATS_NKEY", "", "file holding the nkey seed (SU...) of this node's NATS user, for a NATS server that authenticates with nkeys; none: the user and password or token in --nats, if any", func(s string) error {
			c.NATSNkey = s
			return nil
		}},
		{"nats-ca", "TICKWIRE_NATS_CA", "", "PEM file of the certificate authorities that sign the NATS servers' TLS certificates (use tls:// URLs); none: the system's", func(s string) error {
			c.NATSCA = s
			return nil
		}},
		{"cluster-grace", "TICKWIRE_CLUSTER_GRACE", "10s", "how long a node cut off from NATS keeps accepting sockets; past it /readyz and new sockets answer 503 until it is back and has caught up", func(s string) error {
			d, err := time.ParseDuration(s)
			if err != nil {
				return errors.New("not a duration (like 10s)")
			}
			if d < 0 || d > time.Hour {
				return errors.New("must be 0s to 1h")
			}
			c.ClusterGrace = d
			return nil
		}},
	}
}

// checkCluster refuses the cluster settings that do not go together.
func (c *Config) checkCluster() error {
	switch {
	case len(c.NATS) > 0 && c.PublicURL == "":
		return &FlagError{"--nats needs --public-url: other nodes send players to this node at that address"}
	case len(c.NATS) == 0 && c.Role == RoleGame:
		return &FlagError{"--role game needs --nats: a game node has no database of its own"}
	case len(c.NATS) == 0 && c.NodeID != "":
		return &FlagError{"--node-id names a node of a cluster: it needs --nats"}
	case len(c.NATS) == 0 && (c.NATSNkey != "" || c.NATSCA != ""):
		return &FlagError{"--nats-nkey and --nats-ca are for the link to NATS: they need --nats"}
	}
	return nil
}

// Clustered reports whether the server joins a cluster through NATS.
func (c *Config) Clustered() bool { return len(c.NATS) > 0 }
