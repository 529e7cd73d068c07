package server

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Config is everything `tickwire serve` can be told. Every field is a flag and a TICKWIRE_
// environment variable; flags win.
type Config struct {
	Addr       string
	Data       string
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	Origins    []string
	TickRate   int
	TLSCert    string
	TLSKey     string

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
	ShutdownTimeout time.Duration
	ReauthLead      time.Duration // 0: min(60 s, ttl/4)
	SeatGrace       time.Duration
	LogFormat       string
	LogLevel        string
	Now             func() time.Time `flag:"-"`
}

// FlagError is a bad command line or setting; the binary exits 2 on it.
type FlagError struct{ Msg string }

func (e *FlagError) Error() string { return e.Msg }

type setting struct {
	name, env, def, usage string
	set                   func(string) error
}

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
	str := func(p *string) func(string) error { return func(s string) error { *p = s; return nil } }
	return []setting{
		{"addr", "TICKWIRE_ADDR", ":8080", "listen address", str(&c.Addr)},
		{"data", "TICKWIRE_DATA", "./data", "folder for tickwire.db and the signing keys; created if missing", str(&c.Data)},
		{"access-ttl", "TICKWIRE_ACCESS_TTL", "15m", "access token lifetime", dur(&c.AccessTTL, time.Second)},
		{"refresh-ttl", "TICKWIRE_REFRESH_TTL", "168h", "refresh token lifetime", dur(&c.RefreshTTL, time.Second)},
		{"origins", "TICKWIRE_ORIGINS", "", "comma-separated browser origins allowed to open sockets (default: the server's own)", func(s string) error {
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
		{"tls-cert", "TICKWIRE_TLS_CERT", "", "certificate file (PEM): serve HTTPS and wss", str(&c.TLSCert)},
		{"tls-key", "TICKWIRE_TLS_KEY", "", "private key file (PEM) for --tls-cert", str(&c.TLSKey)},
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
		{"hash-concurrency", "TICKWIRE_HASH_CONCURRENCY", "4", "password hashes computed at once (19 MiB each)", num(&c.HashConcurrency, 1, 256)},
		{"shutdown-timeout", "TICKWIRE_SHUTDOWN_TIMEOUT", "8s", "how long a graceful shutdown may take", dur(&c.ShutdownTimeout, 0)},
		{"reauth-lead", "TICKWIRE_REAUTH_LEAD", "0s", "how long before expiry reauth_required is sent (0: min(60s, ttl/4))", dur(&c.ReauthLead, 0)},
		{"seat-grace", "TICKWIRE_SEAT_GRACE", "30s", "how long a dropped player's seat waits for a reconnect", dur(&c.SeatGrace, 0)},
		{"log-format", "TICKWIRE_LOG_FORMAT", "text", "log format: text or json", func(s string) error {
			if s != "text" && s != "json" {
				return errors.New("must be text or json")
			}
			c.LogFormat = s
			return nil
		}},
		{"log-level", "TICKWIRE_LOG_LEVEL", "info", "log level: debug, info, warn or error", func(s string) error {
			switch s {
			case "debug", "info", "warn", "error":
				c.LogLevel = s
				return nil
			}
			return errors.New("must be debug, info, warn or error")
		}},
	}
}

// ParseConfig reads a serve configuration from args and the environment (getenv), applying
// defaults first, then environment variables, then flags.
func ParseConfig(name string, args []string, getenv func(string) string, out io.Writer) (Config, []string, error) {
	var c Config
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	ss := c.settings()
	for _, s := range ss {
		if err := s.set(s.def); err != nil {
			panic("default of --" + s.name + ": " + err.Error())
		}
	}
	for _, s := range ss {
		if v := getenv(s.env); v != "" {
			if err := s.set(v); err != nil {
				return c, nil, &FlagError{fmt.Sprintf("invalid value %q for %s (--%s): %v", v, s.env, s.name, err)}
			}
		}
	}
	for _, s := range ss {
		fs.Func(s.name, fmt.Sprintf("%s (env %s, default %q)", s.usage, s.env, s.def), s.set)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, nil, err
		}
		return c, nil, &FlagError{err.Error()}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return c, nil, &FlagError{"--tls-cert and --tls-key go together"}
	}
	return c, fs.Args(), nil
}

// DefaultConfig is the configuration with every default and no environment.
func DefaultConfig() Config {
	c, _, err := ParseConfig("serve", nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		panic(err)
	}
	return c
}
