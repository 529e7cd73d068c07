package clustertest_test

import (
	"testing"

	"github.com/tickwire/tickwire/server/clustertest"
)

func TestMain(m *testing.M) { clustertest.Main(m) }
