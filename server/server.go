package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server/cluster"
	"github.com/tickwire/tickwire/server/wire"
	"github.com/tickwire/tickwire/server/ws"
	"github.com/tickwire/tickwire/store"
)

// Server is a running Tickwire: its database, auth service, lobbies and HTTP listener.
type Server struct {
	cfg        Config
	webMissing bool // the binary was built before the browser bundle
	log        *slog.Logger
	db         *store.DB
	auth       *auth.Service
	lobbies    *game.Registry
	gamesJSON  func() ([]byte, error) // the answer of GET /api/v1/games, encoded once
	echo       *echo.Echo
	http       *http.Server
	ln         net.Listener
	metricsS   *http.Server
	metricsL   net.Listener
	sync       *dataSync
	upgrader   websocket.Upgrader
	conns      *connSet
	wsCfg      *ws.Config  // the sockets' limits, shared by every socket
	polls      *ws.Pollers // the pollers that read plain TCP sockets on Linux; nil elsewhere
	metrics    *metrics
	throttle   *loginThrottle
	registers  *keyedBudget // registrations per client address
	guests     *keyedBudget // guest accounts per client address
	public     *publicReads
	lobbyAddr  *keyedBudget // lobbies created, per client address
	codeFails  *keyedBudget // wrong join codes, per account and per client address
	oidc       *oidcRP
	cluster    *cluster.Node // nil without --nats
	now        func() time.Time

	pprofAddr string

	shuttingDown atomic.Bool
	shutdownDone chan struct{} // closed when Shutdown has finished
	shutdownErr  error         // what Shutdown returned; read after shutdownDone
	bg           sync.WaitGroup
	stop         context.CancelFunc
	served       chan error
}

// Open builds a server from cfg: it opens (creating) the data folder, the database and the
// signing keys, and loads the revocation index. Serve starts it.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	s := &Server{cfg: cfg, log: log, now: now, served: make(chan error, 1), shutdownDone: make(chan struct{})}
	games := gamesOf(cfg)
	if err := game.CheckDefinitions(games); err != nil {
		return nil, err
	}
	// The data-folder sync picks up what commands change from before anything is read.
	start := now()
	var p *parts
	var disabled map[string]bool
	if cfg.Role == RoleGame {
		p = gameParts(cfg, now)
	} else {
		var err error
		if p, err = openParts(ctx, cfg, now, s.onSessionEnded); err != nil {
			return nil, err
		}
		// The accounts disabled at start, from which the data-folder sync tells later changes.
		if disabled, err = p.db.DisabledAccounts(ctx); err != nil {
			p.db.Close()
			return nil, err
		}
	}
	s.db, s.auth = p.db, p.auth
	s.sync = newDataSync(start, disabled)
	s.conns = newConnSet()
	s.metrics = newMetrics(s)
	s.wsCfg = s.wsConfig()
	s.polls = ws.NewPollers()
	s.throttle = newLoginThrottle(cfg)
	s.registers = newKeyedBudget(limit{cfg.RegisterAddrBurst, cfg.RegisterAddrEvery}, cfg.LoginTrackedKeys)
	s.guests = newKeyedBudget(limit{cfg.GuestAddrBurst, cfg.GuestAddrEvery}, cfg.LoginTrackedKeys)
	if s.db != nil {
		s.db.SetPublicReads(cfg.PublicReads)
	}
	s.public = newPublicReads(cfg.PublicReads, cfg.PublicReadWait)
	s.lobbyAddr = newKeyedBudget(limit{cfg.LobbyAddrBurst, cfg.LobbyAddrEvery}, cfg.LoginTrackedKeys)
	s.codeFails = newKeyedBudget(limit{cfg.CodeFailBurst, cfg.CodeFailEvery}, cfg.LoginTrackedKeys)
	s.oidc = newOIDC(cfg, p, now)
	s.lobbies = newRegistry(cfg, games, s.db, log)
	if s.db == nil {
		s.lobbies.Results = clusterResults{s} // to the database node, through NATS
	}
	// Encoded at the first request, once Serve has started the registry, which gives the
	// games' bounds their defaults.
	s.gamesJSON = sync.OnceValues(func() ([]byte, error) { return gamesBody(s.lobbies.Games) })
	s.lobbies.OnTick = s.metrics.observeTick
	s.upgrader = newUpgrader()
	s.echo = s.routes()
	// The hasher's start-up hash (and the store's load) leave tens of MiB of garbage; hand it
	// back to the system now, so an idle server's RSS says what it holds rather than what it
	// once touched.
	debug.FreeOSMemory()
	return s, nil
}

// Serve listens on cfg.Addr (or ln, when given) and serves until ctx ends or Shutdown is called.
// With --tls-cert it serves HTTPS (and so wss); with --metrics-addr it also serves /metrics
// there. It returns once the listeners are up; Wait reports how serving ended.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	var tlsConfig *tls.Config
	if s.cfg.TLSCert != "" {
		// Load the pair before listening, so a bad one fails the start and not the first client.
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			if ln != nil {
				ln.Close()
			}
			return &FlagError{fmt.Sprintf("--tls-cert/--tls-key: %v", oneLine(err.Error()))}
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	if ln == nil {
		var err error
		ln, err = net.Listen("tcp", s.cfg.Addr)
		if err != nil {
			return fmt.Errorf("listen on --addr %s: %w", s.cfg.Addr, err)
		}
	}
	if s.cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", s.cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("listen on --metrics-addr %s: %w", s.cfg.MetricsAddr, err)
		}
		s.metricsL = mln
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", s.metrics.handler())
		s.metricsS = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
		go func() {
			if err := s.metricsS.Serve(mln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("metrics listener", "err", err)
			}
		}()
	}
	runCtx, stop := context.WithCancel(context.Background())
	s.stop = stop
	s.lobbies.Start(runCtx)
	s.http = &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	if tlsConfig != nil {
		s.http.TLSConfig = tlsConfig
		ln = tls.NewListener(ln, tlsConfig)
	}
	s.ln = ln
	if s.cfg.Clustered() {
		if err := s.joinCluster(ctx, ln); err != nil {
			stop()
			ln.Close()
			return err
		}
	}
	if err := s.servePprof(runCtx); err != nil {
		s.leaveCluster()
		stop()
		ln.Close()
		return err
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		s.purgeLoop(runCtx)
	}()
	// What follows keeps the database; a game node has none.
	if s.db != nil {
		if s.cfg.ResultsRetention > 0 {
			s.bg.Add(1)
			go func() {
				defer s.bg.Done()
				s.pruneResultsLoop(runCtx)
			}()
		}
		s.oidc.warm(runCtx, s)
		if s.cfg.SyncInterval > 0 {
			s.bg.Add(1)
			go func() {
				defer s.bg.Done()
				s.syncLoop(runCtx, s.sync)
			}()
		}
	}
	go func() {
		err := s.http.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.served <- err
	}()
	go func() {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
			defer cancel()
			_ = s.Shutdown(sctx)
		case <-runCtx.Done():
		}
	}()
	return nil
}

// Wait blocks until serving has ended, and after a shutdown until it has finished (sockets
// closed, lobbies stopped, the database closed), so that a process may exit on its return.
func (s *Server) Wait() error {
	err := <-s.served
	if s.shuttingDown.Load() {
		<-s.shutdownDone
		err = errors.Join(err, s.shutdownErr)
	}
	return err
}

// URL returns the base URL the server answers on.
func (s *Server) URL() string {
	scheme := "http"
	if s.cfg.TLSCert != "" {
		scheme = "https"
	}
	addr := s.ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "localhost"
	}
	return fmt.Sprintf("%s://%s", scheme, net.JoinHostPort(host, fmt.Sprint(addr.Port)))
}

// MetricsURL returns the base URL of the --metrics-addr listener, or "" without one.
func (s *Server) MetricsURL() string {
	if s.metricsL == nil {
		return ""
	}
	return "http://" + s.metricsL.Addr().String()
}

// Auth returns the auth service, for commands that act on a data folder.
func (s *Server) Auth() *auth.Service { return s.auth }

// DB returns the database.
func (s *Server) DB() *store.DB { return s.db }

// Shutdown refuses new sockets (503), closes every socket with 1001 and waits for them to go,
// then stops the HTTP server and the lobbies and closes the database, within ctx's deadline.
// The listener stays open while the sockets drain, so that a new socket meets a 503, and
// /readyz fails, rather than a refused connection. A second call waits for the first.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.shuttingDown.Swap(true) {
		select {
		case <-s.shutdownDone:
			return s.shutdownErr
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	defer close(s.shutdownDone)
	start := time.Now()
	s.log.Info("shutting down", "sockets", s.conns.count())
	s.conns.closeAll(wire.CloseGoingAway, "server shutting down")
	s.conns.wait(ctx)
	s.polls.Close()
	var err error
	if s.http != nil {
		err = s.http.Shutdown(ctx)
	}
	if s.metricsS != nil {
		err = errors.Join(err, s.metricsS.Shutdown(ctx))
	}
	if s.stop != nil {
		s.stop()
		s.lobbies.Close()
	}
	s.leaveCluster()
	s.bg.Wait()
	if s.db != nil {
		err = errors.Join(err, s.db.Close())
	}
	s.shutdownErr = err
	s.log.Info("shut down", "took", time.Since(start).Round(time.Millisecond), "sockets_left", s.conns.count())
	return s.shutdownErr
}

// Close closes a server that was opened but never served.
func (s *Server) Close() error {
	if s.db == nil {
		return nil
	}
	return s.db.Close()
}
