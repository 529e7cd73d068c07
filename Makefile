# Tickwire: `make run` serves on ./data at :8080; `make test` runs every check.
# The browser client (clients/web) needs Node.js 20+ and npm; its end-to-end test needs Chromium
# (Debian's chromium package at /usr/bin/chromium, or CHROMIUM=/path/to/it).
GO          ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
BIN         := bin/tickwire
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -X github.com/tickwire/tickwire/server.Version=$(VERSION)
NPM         ?= npm
WEB         := clients/web
WEBDEPS     := $(WEB)/node_modules/.package-lock.json

.PHONY: all build run test lint gotest porttest cross webtest web bench bench-cluster fuzz soak loadtest cluster clean

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) .

# run builds the browser bundle first, so that the binary embeds it.
run: web
	$(MAKE) build
	./$(BIN) serve

test: lint gotest porttest cross webtest

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

gotest:
	$(GO) test -race -count=1 -timeout 10m ./...

# porttest runs the socket tests, and server/ws's own, on the portable path
# (server/ws/conn_portable.go) that systems other than Linux take: the tickwire_portable tag
# forces it here.
PORTTESTS := TestEveryFrameOfTheContract|TestBadInputClosesWithItsCode|TestFramesAreReadHoweverTheyAreCut|TestProtocolViolationsClose|TestClientClosesGetTheirCodeBack|TestCloseFramesPassAnEmptyBudget|TestStalledClientHarmsNoOne|TestWriteDeadlineDropsABlockedSocket|TestFullSendQueueClosesPolicy|TestReauthCyclesKeepEverythingFlowing|TestExpiryCloses4001|TestGoldenFrames
porttest:
	$(GO) vet -tags tickwire_portable ./server ./server/ws
	$(GO) test -race -count=1 -timeout 5m -tags tickwire_portable -run '^($(PORTTESTS))$$' ./server
	$(GO) test -race -count=1 -timeout 5m -tags tickwire_portable ./server/ws

# cross checks that every package builds for Windows, macOS and 64-bit ARM Linux.
cross:
	GOOS=windows $(GO) build ./... && GOOS=windows $(GO) vet ./...
	GOOS=darwin $(GO) build ./...
	GOOS=linux GOARCH=arm64 $(GO) build ./...

# web bundles the browser client into assets/web, where go:embed picks it up at the next build.
web: $(WEBDEPS)
	cd $(WEB) && node build.mjs

$(WEBDEPS): $(WEB)/package-lock.json $(WEB)/package.json
	cd $(WEB) && $(NPM) ci --no-audit --no-fund

# webtest type-checks the client, runs its unit tests (the golden frames among them) and the
# end-to-end tests in headless Chromium against a binary built with the fresh bundle (two of
# them on a NATS server and two nodes, hence nats-server).
webtest: web
	$(MAKE) build
	$(GO) build -o $(WEB)/.build/oidcprovider ./auth/oidc/oidctest/cmd/oidcprovider
	$(GO) build -o bin/nats-server github.com/nats-io/nats-server/v2
	cd $(WEB) && ./node_modules/.bin/tsc --noEmit -p . && node build.mjs tests
	cd $(WEB) && node --test --test-reporter=spec .build/test/*.test.mjs

bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./...

# bench-cluster: the cluster's benchmarks (server/clustertest/bench_test.go, build tag
# clusterbench, so that make bench leaves them out): a database node and two game nodes as child
# processes on three embedded NATS servers; a join moved from one game node to the other, and a
# logout's revocation reaching the sockets on both, each over BENCH_OPS operations with their
# p50 and p99 in ms.
BENCH_OPS ?= 100
bench-cluster:
	$(GO) test -tags clusterbench -run '^$$' -bench . -benchtime $(BENCH_OPS)x -count 1 -timeout 10m ./server/clustertest

# fuzz runs each fuzz target for 30 s beyond its seeds (which go test runs every time): the
# frame decoder of server/wire and the WebSocket frame parser of server/ws.
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime 30s ./server/wire
	$(GO) test -run '^$$' -fuzz FuzzParseFrames -fuzztime 30s ./server/ws

# soak: the bots of clients/bot against a real server with a 20 s access TTL, for DURATION;
# fails on a bot disconnected before the end or on goroutines or heap that keep growing.
# The report (and the samples as CSV) lands in bin/soak-report.txt. Not part of `make test`.
DURATION   ?= 10m
BOTS       ?= 40
LOBBY_SIZE ?= 8
soak:
	@mkdir -p bin
	SOAK_DURATION=$(DURATION) SOAK_BOTS=$(BOTS) SOAK_LOBBY_SIZE=$(LOBBY_SIZE) SOAK_REPORT=$(CURDIR)/bin/soak-report.txt \
	  $(GO) test -tags soak -run '^TestSoak$$' -count=1 -v -timeout 0 ./server

# make loadtest: the server on CPU 0, BOTS bots on CPU 1, LOBBY bots per lobby, for DURATION once
# every bot plays; TTL is the access-token lifetime (short ones exercise reauth). PROFILE=file
# also writes a CPU profile of the server over the window; NICE=-10 or RT=10 (SCHED_FIFO) favour
# both sides on a busy machine. CLUSTER=1 puts a game node of a cluster (with one NATS server
# and the database node on CPU 1) in the server's place and adds its control plane's CPU to the
# line. See clients/bot/loadtest.sh. Its defaults are its own (soak shares the names BOTS and
# DURATION); the command line sets them.
loadtest: BOTS = 1000
loadtest: DURATION = 30s
LOBBY    ?= 8
TICK     ?= 20
TTL      ?= 15m
PROFILE  ?=
NICE     ?= 0
RT       ?=
CLUSTER  ?=

loadtest: build
	$(GO) build -o bin/tickwire-bot ./clients/bot
	$(if $(CLUSTER),$(GO) build -o bin/nats-server github.com/nats-io/nats-server/v2)
	BOTS=$(BOTS) LOBBY=$(LOBBY) TICK=$(TICK) DURATION=$(DURATION) TTL=$(TTL) PROFILE=$(PROFILE) NICE=$(NICE) RT=$(RT) \
	  CLUSTER=$(CLUSTER) NATS=bin/nats-server GO=$(GO) SERVER=$(BIN) BOT=bin/tickwire-bot bash clients/bot/loadtest.sh

# cluster: three NATS servers (JetStream, clustered) and three Tickwire nodes on this machine
# (a database node on :8080, game nodes on :8081 and :8082); prints the URLs, Ctrl-C stops all.
# See server/cluster/cluster.sh and HOSTING.md, "A cluster on NATS".
cluster: build
	$(GO) build -o bin/nats-server github.com/nats-io/nats-server/v2
	SERVER=$(BIN) NATS=bin/nats-server bash server/cluster/cluster.sh

clean:
	rm -rf bin $(WEB)/.build $(WEB)/test-output
	find assets/web -mindepth 1 ! -name README.txt -delete
