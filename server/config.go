package server

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tickwire/tickwire/auth/oidc"
	"github.com/tickwire/tickwire/game"
)

// Config is everything `tickwire serve` can be told. Every field is a flag, a TICKWIRE_
// environment variable and a key of the optional --config file; flags win over the
// environment, which wins over the file, which wins over the defaults.
type Config struct {
	Addr       string
	Data       string
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	// SessionMaxAge is how long a session lasts after its login at most, however often it is
	// refreshed; every token's exp is capped to it.
	SessionMaxAge time.Duration
	// RefreshGrace is how long after a refresh the same refresh token, presented again from
	// the same address, is answered the same pair once more; 0: never. RefreshGraceMax bounds
	// the rotations remembered for it.
	RefreshGrace    time.Duration
	RefreshGraceMax int
	Origins         []string
	TickRate        int
	TLSCert         string
	TLSKey          string

	// Hosting.
	TrustedProxies []*net.IPNet   // peers whose X-Forwarded-For / X-Real-IP are believed; none by default
	Registration   string         // open, invite or closed
	MetricsAddr    string         // when set, /metrics is served there and not on Addr
	PublicMetrics  bool           // serve /metrics on Addr too, without a token; off by default
	SyncInterval   time.Duration  // how often tickwire commands' changes to the data folder are picked up; 0: never
	ConfigFile     string         // the --config file read, if any
	effective      []settingValue // what each setting was set to, and by which source

	// Socket limits.
	MaxMessageBytes int           // read limit per frame; larger frames close 1009
	MsgRate         float64       // frames per second a connection may send on average
	MsgBurst        int           // frames a connection may send at once
	SendQueue       int           // control frames queued per connection before it counts as too slow
	WriteWait       time.Duration // deadline for one write
	PongWait        time.Duration // how long a silent connection lives
	MaxConnsPerAcct int
	MaxConnsPerAddr int
	MaxConns        int
	HashConcurrency int

	// Password hashing and login throttling (auth.HashLimits, server/throttle.go).
	HashQueue        int           // password checks that may wait for a hashing slot; past it 429
	HashWait         time.Duration // longest wait for a hashing slot before 429
	LoginAddrBurst   int           // failed logins a client address may make at once
	LoginAddrEvery   time.Duration // one more failed login per address every this long
	LoginAcctBurst   int           // failed logins a username may take at once
	LoginAcctEvery   time.Duration // one more failed login per username every this long
	LoginTrackedKeys int           // addresses, usernames and known pairs the throttle holds

	// Sign-up budgets per client address (server/api_signup.go).
	RegisterAddrBurst int           // registrations a client address may make at once
	RegisterAddrEvery time.Duration // one more registration per address every this long
	GuestAddrBurst    int           // guest accounts a client address may make at once
	GuestAddrEvery    time.Duration // one more guest per address every this long
	GuestRetention    time.Duration // guests not signed in for this long are deleted, results kept
	// PurgeInterval is how often expired revocations, invites, throttle buckets and idle guests
	// are swept; zero means every minute. Not a setting: tests shorten it.
	PurgeInterval time.Duration

	ShutdownTimeout time.Duration
	ReauthLead      time.Duration // 0: min(60 s, ttl/4)
	SendBuffer      int           // kernel send buffer per socket, bytes; 0 leaves the kernel's autotuning
	StallTimeout    time.Duration // how long a socket may be unable to take new snapshots before it is closed 4008
	SeatGrace       time.Duration
	LogFormat       string
	LogLevel        string

	// Lobbies and rounds; game.Limits documents each.
	RoundLength          time.Duration // one arena round
	RoundPause           time.Duration // between a finished round and the next
	LobbyIdleTimeout     time.Duration // a lobby with no one connected closes after it
	MaxLobbies           int
	MaxLobbiesPerAccount int
	MaxLobbiesPerAddr    int
	MaxSpectators        int // per lobby
	InputQueue           int // inputs per seat waiting for the next tick
	InputBytes           int // bytes of those inputs' messages
	MaxSnapshotRate      int // snapshots a lobby sends a second at most
	QuickStartPlayers    int // players a quick-join lobby waits for to start a round
	TickCatchUp          int // missed ticks a late lobby runs back to back before skipping
	LobbyListMax         int // lobbies one lobby list shows at most

	// Public reads: the leaderboard and a player's rounds, apart from the reads of auth.
	PublicReads      int           // database reads of results at once (connections of their own)
	PublicReadWait   time.Duration // longest wait for a public read slot before 503 unavailable
	ResultsRetention time.Duration // rounds older than this are pruned (standings stay); 0 keeps them

	// Per-address and per-account budgets of the lobby requests (server/budgets.go), and what
	// guests may do.
	LobbyAddrBurst int           // lobbies one client address may create at once
	LobbyAddrEvery time.Duration // after the burst, one more lobby per address every this long
	CodeFailBurst  int           // failed join-code lookups an account, or an address, may make at once
	CodeFailEvery  time.Duration // after the burst, one more failed lookup every this long
	GuestScopes    []string      // the scopes a new guest account is given; play and host by default

	PprofAddr string // where runtime profiles are served; empty: nowhere

	// OpenID Connect sign-in (server/api_oidc.go, auth/oidc).
	PublicURL      string        // the server's base URL as browsers see it; empty: from each request
	OIDC           []oidc.Config // the [[oidc]] tables of the --config file
	OIDCTimeout    time.Duration // bound on every call to a provider
	OIDCRetry      time.Duration // after a failed discovery, how long before a provider is asked again
	OIDCMaxPending int           // authorization requests in flight at once, in all
	OIDCAddrBurst  int           // sign-in starts and native token logins a client address may make at once
	OIDCAddrEvery  time.Duration // one more per address every this long

	// Games are the games the server offers, the first the default: create's and quick join's
	// game names one of them, GET /api/v1/games lists them. Empty means Games(cfg), Tickwire's
	// own. Not a setting: a program that imports the server sets it (README: Tickwire as a
	// library).
	Games []game.Definition `flag:"-"`

	// Cluster (server/config_cluster.go, server/cluster).
	NATS         []string      // NATS server URLs; none: a single node without NATS
	NodeID       string        // this node's name in the cluster; empty: host name and port
	Role         string        // RoleAll or RoleGame
	ClusterGrace time.Duration // how long a node cut off from NATS keeps accepting sockets
	NATSNkey     string        // file of the NATS user's nkey seed; empty: none
	NATSCA       string        // PEM file of the CAs that sign NATS's TLS certificates; empty: the system's
	// ClusterPrefix, when set, prefixes the names of the cluster's NATS buckets, streams and
	// subjects. Not a setting: tests that share one NATS cluster keep apart by it.
	ClusterPrefix string

	Now func() time.Time `flag:"-"`
}

// Registration modes.
const (
	RegistrationOpen   = "open"   // anyone may register, and guests may play
	RegistrationInvite = "invite" // registering needs an invite code an admin made; no guests
	RegistrationClosed = "closed" // only `tickwire user add` makes accounts; no guests
)

// FlagError is a bad command line or setting; the binary exits 2 on it.
type FlagError struct{ Msg string }

func (e *FlagError) Error() string { return e.Msg }

type setting struct {
	name, env, def, usage string
	set                   func(string) error
}

// settingValue is one setting's effective value and where it came from, for the start-up log.
type settingValue struct{ name, value, from string }

func (c *Config) settings() []setting {
	dur := func(p *time.Duration, min time.Duration) func(string) error {
		return func(s string) error {
			d, err := time.ParseDuration(s)
			if err != nil {
				return errors.New("not a duration (like 15m or 30s)")
			}
			if d < min {
				return fmt.Errorf("must be at least %s", min)
			}
			*p = d
			return nil
		}
	}
	durRange := func(p *time.Duration, min, most time.Duration) func(string) error {
		return func(s string) error {
			if err := dur(p, min)(s); err != nil {
				return err
			}
			if *p > most {
				return fmt.Errorf("must be at most %s", most)
			}
			return nil
		}
	}
	num := func(p *int, lo, hi int) func(string) error {
		return func(s string) error {
			n, err := strconv.Atoi(s)
			if err != nil {
				return errors.New("not a whole number")
			}
			if n < lo || n > hi {
				return fmt.Errorf("must be %d to %d", lo, hi)
			}
			*p = n
			return nil
		}
	}
	boolean := func(p *bool) func(string) error {
		return func(s string) error {
			b, err := strconv.ParseBool(s)
			if err != nil {
				return errors.New("must be true or false")
			}
			*p = b
			return nil
		}
	}
	scopeList := func(p *[]string) func(string) error {
		return func(s string) error {
			var out []string
			for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
				if f != "play" && f != "host" {
					return fmt.Errorf("%q is not a guest scope: play and host are", f)
				}
				if !slices.Contains(out, f) {
					out = append(out, f)
				}
			}
			if !slices.Contains(out, "play") {
				return errors.New("must include play: a guest without it cannot open a socket")
			}
			*p = out
			return nil
		}
	}
	str := func(p *string) func(string) error { return func(s string) error { *p = s; return nil } }
	hostPort := func(p *string, optional bool) func(string) error {
		return func(s string) error {
			if s == "" && optional {
				*p = ""
				return nil
			}
			if _, port, err := net.SplitHostPort(s); err != nil || port == "" {
				return errors.New("not a listen address like :8080 or 127.0.0.1:8080")
			}
			*p = s
			return nil
		}
	}
	oneOf := func(p *string, allowed ...string) func(string) error {
		return func(s string) error {
			for _, a := range allowed {
				if s == a {
					*p = s
					return nil
				}
			}
			return fmt.Errorf("must be one of %s", strings.Join(allowed, ", "))
		}
	}
	return append([]setting{
		{"addr", "TICKWIRE_ADDR", ":8080", "listen address", hostPort(&c.Addr, false)},
		{"data", "TICKWIRE_DATA", "./data", "folder for tickwire.db and the signing keys; created if missing", func(s string) error {
			if s == "" {
				return errors.New("must not be empty")
			}
			c.Data = s
			return nil
		}},
		{"access-ttl", "TICKWIRE_ACCESS_TTL", "15m", "access token lifetime", dur(&c.AccessTTL, time.Second)},
		{"refresh-ttl", "TICKWIRE_REFRESH_TTL", "168h", "refresh token lifetime", dur(&c.RefreshTTL, time.Second)},
		{"session-max-age", "TICKWIRE_SESSION_MAX_AGE", "720h", "how long a session lasts after its login at most, however often it is refreshed; no token outlives it", dur(&c.SessionMaxAge, time.Minute)},
		{"refresh-grace", "TICKWIRE_REFRESH_GRACE", "10s", "how long after a refresh a retry with the same refresh token, from the same address, is answered the same pair once more instead of ending the session as a reuse (0: never; at most 5m)", func(s string) error {
			if err := dur(&c.RefreshGrace, 0)(s); err != nil {
				return err
			}
			if c.RefreshGrace > 5*time.Minute {
				return errors.New("must be at most 5m")
			}
			return nil
		}},
		{"refresh-grace-max", "TICKWIRE_REFRESH_GRACE_MAX", "10000", "refreshes remembered for --refresh-grace (about 2 KB each); past it the oldest is forgotten", num(&c.RefreshGraceMax, 1, 1<<20)},
		{"origins", "TICKWIRE_ORIGINS", "", "comma-separated browser origins allowed to open sockets; none: the server's own origin", func(s string) error {
			c.Origins = nil
			for o := range strings.SplitSeq(s, ",") {
				if o = strings.TrimSpace(o); o != "" {
					if !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") {
						return fmt.Errorf("%q is not an origin like https://example.com", o)
					}
					c.Origins = append(c.Origins, strings.TrimSuffix(o, "/"))
				}
			}
			return nil
		}},
		{"tick-rate", "TICKWIRE_TICK_RATE", "20", "default lobby tick rate, Hz (1 to 128)", num(&c.TickRate, 1, 128)},
		{"tls-cert", "TICKWIRE_TLS_CERT", "", "certificate file (PEM, full chain): serve HTTPS and wss", str(&c.TLSCert)},
		{"tls-key", "TICKWIRE_TLS_KEY", "", "private key file (PEM) for --tls-cert", str(&c.TLSKey)},
		{"trusted-proxies", "TICKWIRE_TRUSTED_PROXIES", "", "comma-separated CIDRs or addresses of reverse proxies whose X-Forwarded-For, X-Real-IP and X-Forwarded-Proto are believed; none: the TCP peer is the client", func(s string) error {
			nets, err := parseCIDRs(s)
			if err != nil {
				return err
			}
			c.TrustedProxies = nets
			return nil
		}},
		{"registration", "TICKWIRE_REGISTRATION", RegistrationOpen, "who may create accounts: open (anyone, and guests), invite (with an admin's invite code) or closed (tickwire user add only)",
			oneOf(&c.Registration, RegistrationOpen, RegistrationInvite, RegistrationClosed)},
		{"metrics-addr", "TICKWIRE_METRICS_ADDR", "", "serve /metrics on this address instead of --addr (like 127.0.0.1:9090)", hostPort(&c.MetricsAddr, true)},
		{"public-metrics", "TICKWIRE_PUBLIC_METRICS", "false", "also serve /metrics on --addr, to anyone (default: only on --metrics-addr, else nowhere)", boolean(&c.PublicMetrics)},
		{"sync-interval", "TICKWIRE_SYNC_INTERVAL", "5s", "how often bans, revoked sessions and signing keys made by tickwire commands on the data folder take effect (0: at the next start)", dur(&c.SyncInterval, 0)},
		{"max-message-bytes", "TICKWIRE_MAX_MESSAGE_BYTES", "16384", "largest frame a client may send; larger closes 1009", num(&c.MaxMessageBytes, 256, 1<<20)},
		{"msg-rate", "TICKWIRE_MSG_RATE", "100", "frames per second a connection may send on average; past it closes 4008", func(s string) error {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || f <= 0 || f > 1e6 {
				return errors.New("must be a number above 0")
			}
			c.MsgRate = f
			return nil
		}},
		{"msg-burst", "TICKWIRE_MSG_BURST", "200", "frames a connection may send at once", num(&c.MsgBurst, 1, 1<<20)},
		{"send-queue", "TICKWIRE_SEND_QUEUE", "64", "control frames queued per connection before it is closed 4008 as too slow", num(&c.SendQueue, 4, 1<<16)},
		{"write-wait", "TICKWIRE_WRITE_WAIT", "10s", "deadline for one socket write", dur(&c.WriteWait, 100*time.Millisecond)},
		{"pong-wait", "TICKWIRE_PONG_WAIT", "60s", "how long a connection may stay silent (pings are sent at 9/10 of it)", dur(&c.PongWait, time.Second)},
		{"max-conns-per-account", "TICKWIRE_MAX_CONNS_PER_ACCOUNT", "8", "open sockets per account", num(&c.MaxConnsPerAcct, 1, 1<<20)},
		{"max-conns-per-addr", "TICKWIRE_MAX_CONNS_PER_ADDR", "4096", "open sockets per client address", num(&c.MaxConnsPerAddr, 1, 1<<24)},
		{"max-conns", "TICKWIRE_MAX_CONNS", "50000", "open sockets in all", num(&c.MaxConns, 1, 1<<24)},
		{"round-length", "TICKWIRE_ROUND_LENGTH", "60s", "how long an arena round lasts", dur(&c.RoundLength, time.Second)},
		{"round-pause", "TICKWIRE_ROUND_PAUSE", "5s", "pause between a finished round and the next (quick-join lobbies start it on their own)", dur(&c.RoundPause, 100*time.Millisecond)},
		{"lobby-idle-timeout", "TICKWIRE_LOBBY_IDLE_TIMEOUT", "60s", "how long a lobby with no one connected stays open", dur(&c.LobbyIdleTimeout, time.Second)},
		{"max-lobbies", "TICKWIRE_MAX_LOBBIES", "10000", "lobbies open at once", num(&c.MaxLobbies, 1, 1<<20)},
		{"max-lobbies-per-account", "TICKWIRE_MAX_LOBBIES_PER_ACCOUNT", "4", "open lobbies one account may have created", num(&c.MaxLobbiesPerAccount, 1, 1<<10)},
		{"max-lobbies-per-addr", "TICKWIRE_MAX_LOBBIES_PER_ADDR", "32", "open lobbies created from one client address (IPv6: its /64), however many accounts it has", num(&c.MaxLobbiesPerAddr, 1, 1<<20)},
		{"lobby-addr-burst", "TICKWIRE_LOBBY_ADDR_BURST", "20", "lobbies a client address (IPv6: its /64) may create at once; past it create answers rate_limited", num(&c.LobbyAddrBurst, 1, 1<<20)},
		{"lobby-addr-every", "TICKWIRE_LOBBY_ADDR_EVERY", "6s", "after the burst, one more lobby per address every this long", dur(&c.LobbyAddrEvery, time.Millisecond)},
		{"code-fail-burst", "TICKWIRE_CODE_FAIL_BURST", "20", "wrong join codes an account, or a client address, may try at once; past it joins by code answer rate_limited", num(&c.CodeFailBurst, 1, 1<<20)},
		{"code-fail-every", "TICKWIRE_CODE_FAIL_EVERY", "30s", "after the burst, one more wrong join code per account and per address every this long", dur(&c.CodeFailEvery, time.Millisecond)},
		{"guest-scopes", "TICKWIRE_GUEST_SCOPES", "play,host", "scopes a new guest account gets: play, and host to create lobbies, start rounds and kick", scopeList(&c.GuestScopes)},
		{"max-spectators", "TICKWIRE_MAX_SPECTATORS", "16", "spectators per lobby", num(&c.MaxSpectators, 1, 1<<10)},
		{"input-queue", "TICKWIRE_INPUT_QUEUE", "8", "inputs one player may have waiting for the next tick; more are dropped and counted", num(&c.InputQueue, 1, 1<<10)},
		{"input-bytes", "TICKWIRE_INPUT_BYTES", "2048", "bytes of input messages one player may have waiting for the next tick; more are dropped and counted", num(&c.InputBytes, 64, 1<<20)},
		{"max-snapshot-rate", "TICKWIRE_MAX_SNAPSHOT_RATE", "128", "snapshots a lobby sends a second at most, Hz (1 to 128); a lobby ticking faster sends one every few ticks", num(&c.MaxSnapshotRate, 1, 128)},
		{"quick-start-players", "TICKWIRE_QUICK_START_PLAYERS", "2", "players a quick-join lobby waits for before it starts a round", num(&c.QuickStartPlayers, 1, 64)},
		{"tick-catch-up", "TICKWIRE_TICK_CATCH_UP", "3", "missed ticks a late lobby runs back to back; it skips those past this", num(&c.TickCatchUp, 1, 128)},
		{"lobby-list-max", "TICKWIRE_LOBBY_LIST_MAX", "500", "lobbies one lobby list shows at most (the first by name)", num(&c.LobbyListMax, 1, 1<<20)},
		{"public-reads", "TICKWIRE_PUBLIC_READS", "2", "leaderboard and match-history reads served at once, on database connections of their own", num(&c.PublicReads, 1, 256)},
		{"public-read-wait", "TICKWIRE_PUBLIC_READ_WAIT", "500ms", "longest wait for a public read slot before 503 unavailable with Retry-After", dur(&c.PublicReadWait, time.Millisecond)},
		{"results-retention", "TICKWIRE_RESULTS_RETENTION", "0s", "rounds that ended longer ago than this are deleted from the history; the leaderboard keeps them (0: keep forever)", func(v string) error {
			if err := dur(&c.ResultsRetention, 0)(v); err != nil {
				return err
			}
			if c.ResultsRetention > 0 && c.ResultsRetention < time.Second {
				return errors.New("must be 0 (keep forever) or at least 1s")
			}
			return nil
		}},
		{"hash-concurrency", "TICKWIRE_HASH_CONCURRENCY", "4", "password hashes computed at once (19 MiB each; at least 2, since sign-ups may use only half)", num(&c.HashConcurrency, 2, 256)},
		{"hash-queue", "TICKWIRE_HASH_QUEUE", "64", "password checks that may wait for a hashing slot; past it they get 429", num(&c.HashQueue, 0, 1<<16)},
		{"hash-wait", "TICKWIRE_HASH_WAIT", "2s", "longest wait for a hashing slot before 429", dur(&c.HashWait, time.Millisecond)},
		{"login-addr-burst", "TICKWIRE_LOGIN_ADDR_BURST", "45", "failed logins a client address (IPv6: its /64) may make at once before 429", num(&c.LoginAddrBurst, 1, 1<<20)},
		{"login-addr-every", "TICKWIRE_LOGIN_ADDR_EVERY", "2s", "after the burst, one more failed login per address every this long", dur(&c.LoginAddrEvery, time.Millisecond)},
		{"login-account-burst", "TICKWIRE_LOGIN_ACCOUNT_BURST", "30", "failed logins at one username may take at once before 429", num(&c.LoginAcctBurst, 1, 1<<20)},
		{"login-account-every", "TICKWIRE_LOGIN_ACCOUNT_EVERY", "30s", "after the burst, one more failed login per username every this long", dur(&c.LoginAcctEvery, time.Millisecond)},
		{"register-addr-burst", "TICKWIRE_REGISTER_ADDR_BURST", "30", "registrations a client address (IPv6: its /64) may make at once before 429", num(&c.RegisterAddrBurst, 1, 1<<20)},
		{"register-addr-every", "TICKWIRE_REGISTER_ADDR_EVERY", "1m", "after the burst, one more registration per address every this long", dur(&c.RegisterAddrEvery, time.Millisecond)},
		{"guest-addr-burst", "TICKWIRE_GUEST_ADDR_BURST", "30", "guest accounts a client address (IPv6: its /64) may make at once before 429", num(&c.GuestAddrBurst, 1, 1<<20)},
		{"guest-addr-every", "TICKWIRE_GUEST_ADDR_EVERY", "10s", "after the burst, one more guest per address every this long", dur(&c.GuestAddrEvery, time.Millisecond)},
		{"guest-retention", "TICKWIRE_GUEST_RETENTION", "720h", "guest accounts not signed in for this long are deleted with their sessions; their match results stay (at least 1h)", dur(&c.GuestRetention, time.Hour)},
		{"login-tracked-keys", "TICKWIRE_LOGIN_TRACKED_KEYS", "65536", "addresses and usernames the login throttle remembers (about 200 bytes each)", num(&c.LoginTrackedKeys, 16, 1<<24)},
		{"shutdown-timeout", "TICKWIRE_SHUTDOWN_TIMEOUT", "8s", "how long a graceful shutdown may take", dur(&c.ShutdownTimeout, 0)},
		{"reauth-lead", "TICKWIRE_REAUTH_LEAD", "0s", "how long before expiry reauth_required is sent (0: min(60s, ttl/4))", dur(&c.ReauthLead, 0)},
		{"send-buffer", "TICKWIRE_SEND_BUFFER", "65536", "kernel send buffer per socket in bytes (0: the kernel's autotuning); bounds what a stalled client holds and how soon it is found", num(&c.SendBuffer, 0, 64<<20)},
		{"stall-timeout", "TICKWIRE_STALL_TIMEOUT", "2s", "how long a socket's writes may stay blocked while snapshots pile up before it is closed 4008 as too slow", dur(&c.StallTimeout, 100*time.Millisecond)},
		{"seat-grace", "TICKWIRE_SEAT_GRACE", "30s", "how long a dropped player's seat waits for a reconnect (at least 1s)", dur(&c.SeatGrace, time.Second)},
		{"pprof-addr", "TICKWIRE_PPROF_ADDR", "", "serve runtime profiles (/debug/pprof/) on this address, like 127.0.0.1:6060; keep it private (default: off)", func(s string) error {
			if s != "" {
				if _, _, err := net.SplitHostPort(s); err != nil {
					return errors.New("must be host:port, like 127.0.0.1:6060")
				}
			}
			c.PprofAddr = s
			return nil
		}},
		{"public-url", "TICKWIRE_PUBLIC_URL", "", "the server's base URL as browsers see it, like https://play.example.com (scheme, host, port); OpenID Connect redirect URIs are built from it, and with --nats (where it is required) other nodes send players to it; none: from each request", func(s string) error {
			if s == "" {
				c.PublicURL = ""
				return nil
			}
			u, err := url.Parse(s)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
				return errors.New("must be a base URL like https://play.example.com or http://127.0.0.1:8080, without a path")
			}
			c.PublicURL = u.Scheme + "://" + u.Host
			return nil
		}},
		{"oidc-timeout", "TICKWIRE_OIDC_TIMEOUT", "10s", "bound on every call to an OpenID Connect provider (discovery, keys, code exchange)", dur(&c.OIDCTimeout, 100*time.Millisecond)},
		{"oidc-retry", "TICKWIRE_OIDC_RETRY", "10s", "after a provider's discovery failed, how long it answers provider_unavailable before it is asked again (at most 30s)", durRange(&c.OIDCRetry, 100*time.Millisecond, 30*time.Second)},
		{"oidc-max-pending", "TICKWIRE_OIDC_MAX_PENDING", "10000", "OpenID Connect sign-ins in flight at once (each waits up to 10 minutes for its callback); past it start answers 429", num(&c.OIDCMaxPending, 1, 1<<24)},
		{"oidc-addr-burst", "TICKWIRE_OIDC_ADDR_BURST", "30", "OpenID Connect sign-in starts, links and native token logins a client address (IPv6: its /64) may make at once before 429", num(&c.OIDCAddrBurst, 1, 1<<20)},
		{"oidc-addr-every", "TICKWIRE_OIDC_ADDR_EVERY", "2s", "after the burst, one more per address every this long", dur(&c.OIDCAddrEvery, time.Millisecond)},
		{"log-format", "TICKWIRE_LOG_FORMAT", "text", "log format: text or json", oneOf(&c.LogFormat, "text", "json")},
		{"log-level", "TICKWIRE_LOG_LEVEL", "info", "log level: debug, info, warn or error", oneOf(&c.LogLevel, "debug", "info", "warn", "error")},
	}, c.clusterSettings()...)
}

// parseCIDRs reads a comma-separated list of CIDRs; a bare address stands for itself alone.
func parseCIDRs(s string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			ip := net.ParseIP(part)
			if ip == nil {
				return nil, fmt.Errorf("%q is not an address or a CIDR like 10.0.0.0/8", part)
			}
			bits := 128
			if ip4 := ip.To4(); ip4 != nil {
				ip, bits = ip4, 32
			}
			out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, n, err := net.ParseCIDR(part)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR like 10.0.0.0/8", part)
		}
		out = append(out, n)
	}
	return out, nil
}

// configEnv names the environment variable that points at a config file.
const configEnv = "TICKWIRE_CONFIG"

// ParseConfig reads a serve configuration: defaults, then the --config file (or the file named
// by TICKWIRE_CONFIG), then environment variables (getenv), then the flags in args, each
// overriding the one before. --help writes the settings to out and returns flag.ErrHelp; any
// bad value is a *FlagError of one line naming the flag.
func ParseConfig(name string, args []string, getenv func(string) string, out io.Writer) (Config, []string, error) {
	var c Config
	ss := c.settings()
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// The flag package would print the error and the whole usage; Main prints one line instead.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	type kv struct{ name, value string }
	var fromFlags []kv
	for _, s := range ss {
		record := func(v string) error {
			fromFlags = append(fromFlags, kv{s.name, v})
			return nil
		}
		if s.def == "false" { // a switch: --name alone means true
			fs.BoolFunc(s.name, s.usage, record)
		} else {
			fs.Func(s.name, s.usage, record)
		}
	}
	configFile := fs.String("config", "", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			writeHelp(out, name, ss)
			return c, nil, err
		}
		return c, nil, &FlagError{err.Error() + " (see " + name + " --help)"}
	}

	values := map[string]settingValue{}
	apply := func(s setting, v, from string) error {
		if err := s.set(v); err != nil {
			where := ""
			if from != "flag" {
				where = " (from " + from + ")"
			}
			return &FlagError{fmt.Sprintf("invalid value %q for --%s%s: %v", v, s.name, where, err)}
		}
		values[s.name] = settingValue{s.name, v, from}
		return nil
	}
	for _, s := range ss {
		if err := apply(s, s.def, "default"); err != nil {
			panic(err) // a default that does not parse is a bug
		}
	}
	path := *configFile
	if path == "" {
		path = getenv(configEnv)
	}
	if path != "" {
		file, providers, err := readConfigFile(path, ss)
		if err != nil {
			return c, nil, err
		}
		if c.OIDC, err = parseOIDC(path, providers, getenv); err != nil {
			return c, nil, err
		}
		for _, s := range ss {
			if v, ok := file[s.name]; ok {
				if err := apply(s, v, path+", key "+s.name); err != nil {
					return c, nil, err
				}
			}
		}
		c.ConfigFile = path
	}
	for _, s := range ss {
		if v := getenv(s.env); v != "" {
			if err := apply(s, v, s.env); err != nil {
				return c, nil, err
			}
		}
	}
	byName := map[string]setting{}
	for _, s := range ss {
		byName[s.name] = s
	}
	for _, f := range fromFlags {
		if err := apply(byName[f.name], f.value, "flag"); err != nil {
			return c, nil, err
		}
	}
	if c.AccessTTL > c.RefreshTTL {
		return c, nil, &FlagError{fmt.Sprintf("--access-ttl (%s) must not be longer than --refresh-ttl (%s): an access token would outlive the session's refresh token", c.AccessTTL, c.RefreshTTL)}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return c, nil, &FlagError{"--tls-cert and --tls-key go together: set both or neither"}
	}
	if err := c.checkCluster(); err != nil {
		return c, nil, err
	}
	for _, s := range ss {
		c.effective = append(c.effective, values[s.name])
	}
	return c, fs.Args(), nil
}

// writeHelp lists every setting with its environment variable, file key and default.
func writeHelp(w io.Writer, name string, ss []setting) {
	fmt.Fprintf(w, "Usage: %s [flags]\n\n", name)
	fmt.Fprintf(w, "Every setting is a flag, an environment variable, and a key of the --config file (TOML,\n"+
		"keys named like the flags). Flags win over the environment, which wins over the file.\n\n")
	fmt.Fprintf(w, "  --config FILE\n        TOML file of settings (env %s, default none)\n", configEnv)
	for _, s := range ss {
		def := s.def
		if def == "" {
			def = "none"
		} else {
			def = strconv.Quote(def)
		}
		fmt.Fprintf(w, "  --%s\n        %s (env %s, default %s)\n", s.name, s.usage, s.env, def)
	}
	fmt.Fprintf(w, "\nOpenID Connect providers are [[oidc]] tables of the --config file, one per provider:\n"+
		"  name                 [a-z0-9-]{1,32}, used in URLs; the redirect URI to register is\n"+
		"                       <public-url>/api/v1/auth/oidc/<name>/callback\n"+
		"  display_name         shown on the sign-in button (default: name)\n"+
		"  issuer               the provider's issuer URL (https; http only on loopback)\n"+
		"  client_id            the client registered at the provider\n"+
		"  client_secret        its secret, or client_secret_file = \"/path\", or env TICKWIRE_OIDC_<NAME>_CLIENT_SECRET\n"+
		"  scopes               default [\"openid\", \"profile\", \"email\"]\n")
}

// LogAttrs returns the effective configuration as log attributes. No setting holds a secret:
// the TLS key is named by its path and read only by the listener.
func (c Config) LogAttrs() []any {
	out := make([]any, 0, 2*len(c.effective)+2)
	if c.ConfigFile != "" {
		out = append(out, "config", c.ConfigFile)
	}
	for _, v := range c.effective {
		out = append(out, v.name, v.value)
	}
	return out
}

// DefaultConfig is the configuration with every default and no environment.
func DefaultConfig() Config {
	c, _, err := ParseConfig("serve", nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		panic(err)
	}
	return c
}
