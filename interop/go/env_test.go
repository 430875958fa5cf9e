package interop

import (
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/rlog"
)

// config is what the environment tells the suite about the server under test.
type config struct {
	namesrv     []string        // FERROMQ_NAMESRV, split on ';'
	multi       bool            // FERROMQ_MULTI=1: two brokers in one cluster, two NameServers
	features    bool            // FERROMQ_FEATURES=1: issue 6 feature tests
	delayLevels []time.Duration // FERROMQ_DELAY_LEVELS, index 0 = level 1
}

// rocketmqDefaultDelayLevels is RocketMQ's default `messageDelayLevel`.
const rocketmqDefaultDelayLevels = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h"

var cfg config

// runID makes every topic and group name of one run unique, so that the suite can be re-run
// against a long-lived server without seeing the messages or offsets of an earlier run.
var runID = strconv.FormatInt(time.Now().UnixNano()/int64(time.Millisecond), 36) +
	strconv.Itoa(rand.New(rand.NewSource(time.Now().UnixNano())).Intn(1000))

var nameSeq atomic.Int64

func TestMain(m *testing.M) {
	level := os.Getenv("FERROMQ_GO_LOG")
	if level == "" {
		level = "fatal" // the Go client logs expected conditions (unknown topics, UNKNOWN transactions) as errors
	}
	rlog.SetLogLevel(level)

	addr := os.Getenv("FERROMQ_NAMESRV")
	if addr == "" {
		addr = "127.0.0.1:9876"
	}
	for _, a := range strings.Split(addr, ";") {
		if a = strings.TrimSpace(a); a != "" {
			cfg.namesrv = append(cfg.namesrv, a)
		}
	}
	cfg.multi = os.Getenv("FERROMQ_MULTI") == "1"
	cfg.features = os.Getenv("FERROMQ_FEATURES") == "1"
	levels := os.Getenv("FERROMQ_DELAY_LEVELS")
	if levels == "" {
		levels = rocketmqDefaultDelayLevels
	}
	var err error
	if cfg.delayLevels, err = parseDelayLevels(levels); err != nil {
		fmt.Fprintf(os.Stderr, "FERROMQ_DELAY_LEVELS: %v\n", err)
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// parseDelayLevels reads RocketMQ's `messageDelayLevel` syntax: space-separated durations with
// the units s, m, h, d.
func parseDelayLevels(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, f := range strings.Fields(s) {
		if len(f) < 2 {
			return nil, fmt.Errorf("bad level %q", f)
		}
		n, err := strconv.Atoi(f[:len(f)-1])
		if err != nil {
			return nil, fmt.Errorf("bad level %q", f)
		}
		unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}[f[len(f)-1]]
		if unit == 0 {
			return nil, fmt.Errorf("bad unit in %q", f)
		}
		out = append(out, time.Duration(n)*unit)
	}
	return out, nil
}

// uniqueName returns a topic/group/instance name that no earlier run used. RocketMQ allows
// [%|a-zA-Z0-9_-] up to 127 characters in topic names.
func uniqueName(kind string) string {
	return fmt.Sprintf("goit_%s_%s_%d", kind, runID, nameSeq.Add(1))
}

func requireMulti(t *testing.T) {
	t.Helper()
	if !cfg.multi {
		t.Skip("multi-broker test: set FERROMQ_MULTI=1 (two brokers, two NameServers in FERROMQ_NAMESRV)")
	}
	if len(cfg.namesrv) < 2 {
		t.Fatalf("FERROMQ_MULTI=1 needs two NameServers in FERROMQ_NAMESRV, got %v", cfg.namesrv)
	}
}

func requireFeatures(t *testing.T) {
	t.Helper()
	if !cfg.features {
		t.Skip("feature test (issue 6): set FERROMQ_FEATURES=1 and configure the broker as README.md says")
	}
}

// waitFor polls cond every 20 ms until it holds or the deadline passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
