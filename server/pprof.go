package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// servePprof serves the runtime profiles on cfg.PprofAddr, apart from the public listener, until
// ctx ends. It is off unless --pprof-addr asks for it: profiles show internals and cost CPU while
// taken, so they belong on loopback or a private network.
func (s *Server) servePprof(ctx context.Context) error {
	if s.cfg.PprofAddr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", s.cfg.PprofAddr)
	if err != nil {
		return &FlagError{"--pprof-addr: " + err.Error()}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	s.pprofAddr = ln.Addr().String()
	s.log.Warn("profiling endpoint open", "pprof", s.pprofAddr)
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("pprof", "err", err)
		}
	}()
	return nil
}

// PprofAddr returns the address the profiles are served on, or "" when they are not.
func (s *Server) PprofAddr() string { return s.pprofAddr }
