package game_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/gametest"
	"github.com/tickwire/tickwire/server/wire"
)

// TestManyLobbiesUnderConcurrentJoinsLeavesAndInputs runs many lobbies while workers join
// (by id, by code, quick, as spectators), send inputs, leave, drop and reconnect, and a driver
// keeps the clock moving. Run it with -race. Afterwards every member must have seen the engine
// keep its promises, and a member that Leave returned for must have heard nothing after.
func TestManyLobbiesUnderConcurrentJoinsLeavesAndInputs(t *testing.T) {
	const (
		workers  = 8
		rounds   = 150
		accounts = 24
	)
	e := newEnv(t, game.Limits{InputQueue: 4, Grace: 300 * time.Millisecond, EmptyTimeout: 500 * time.Millisecond,
		AutoStartPlayers: 2, RoundPause: 200 * time.Millisecond, MaxLobbiesPerAccount: 1000})
	e.template.roundTicks = 7
	ctx := context.Background()

	stop := make(chan struct{})
	var driver sync.WaitGroup
	driver.Add(1)
	go func() {
		defer driver.Done()
		for {
			select {
			case <-stop:
				return
			default:
				e.clk.Advance(period / 3)
			}
		}
	}()

	type left struct {
		m     *gametest.Member
		calls int
	}
	var (
		mu      sync.Mutex
		members []*gametest.Member
		leaves  []left
		joins   atomic.Int64
		inputs  atomic.Int64
	)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for range rounds {
				acct := fmt.Sprintf("acct%d", rng.IntN(accounts))
				m := gametest.NewMember(acct, acct)
				mu.Lock()
				members = append(members, m)
				mu.Unlock()
				var l *game.Lobby
				var seat game.Seat
				var err error
				switch rng.IntN(5) {
				case 0, 1:
					l, seat, _, err = e.reg.QuickJoin(ctx, m)
				case 2:
					l, seat, _, err = e.reg.Create(ctx, game.CreateOptions{Private: rng.IntN(2) == 0, MaxPlayers: 1 + rng.IntN(4), Owner: acct}, m)
				default:
					list := e.reg.List()
					if len(list) == 0 {
						continue
					}
					l, err = e.reg.Get(list[rng.IntN(len(list))].ID)
					if err == nil {
						seat, _, err = l.Join(ctx, m, rng.IntN(4) == 0)
					}
				}
				if err != nil {
					var ge *wire.Error
					if !errors.As(err, &ge) {
						t.Errorf("join: %v", err)
					}
					continue
				}
				joins.Add(1)
				for seq := range uint32(rng.IntN(12)) {
					if l.Input(&seat, m, game.Input{Seq: seq + 1, Msg: inputMsg(seq+1, rng.Float32()*2-1)}) {
						inputs.Add(1)
					}
				}
				switch rng.IntN(3) {
				case 0:
					if err := l.Leave(ctx, m); err == nil {
						mu.Lock()
						leaves = append(leaves, left{m, m.Calls()})
						mu.Unlock()
					}
				case 1:
					l.Disconnect(m)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	driver.Wait()
	for _, l := range e.reg.All() {
		i := info(t, l)
		if i.Players > i.MaxPlayers {
			t.Errorf("lobby %s seats %d players of %d", i.ID, i.Players, i.MaxPlayers)
		}
	}
	e.reg.Close()

	for _, m := range members {
		noViolations(t, m)
	}
	for _, lv := range leaves {
		if n := lv.m.Calls(); n != lv.calls {
			t.Errorf("%s got %d calls after Leave returned", lv.m.Account, n-lv.calls)
		}
	}
	if joins.Load() < workers*rounds/4 || inputs.Load() == 0 {
		t.Errorf("only %d joins and %d inputs: the test exercised little", joins.Load(), inputs.Load())
	}
	t.Logf("%d joins, %d inputs queued, %d leaves", joins.Load(), inputs.Load(), len(leaves))
}
