package interop

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

// Issue 6 — pending work survives a broker restart. Runs only with FERROMQ_FEATURES=1 (the
// feature settings of README.md) and FERROMQ_RESTART_CMD, a command that stops the broker
// cleanly (SIGTERM), starts it again on the same store, ports and config, and returns once it is
// registered with the NameServer again. interop/run.sh runs it on its own (`-run TestBrokerRestart`)
// after the other suites, so no other test sees the restart.

const restartHalves = 10

// restartTxListener answers the local transaction of the halves left before the restart with
// UNKNOWN (of later ones with COMMIT) and counts check-backs; resolve=false answers them UNKNOWN,
// resolve=true commits even sequence numbers and rolls back odd ones.
type restartTxListener struct {
	resolve bool
	mu      sync.Mutex
	checks  map[int]int
}

func (l *restartTxListener) ExecuteLocalTransaction(m *primitive.Message) primitive.LocalTransactionState {
	if seq, _ := strconv.Atoi(m.GetProperty("seq")); seq < restartHalves {
		return primitive.UnkonwnState
	}
	return primitive.CommitMessageState
}

func (l *restartTxListener) CheckLocalTransaction(m *primitive.MessageExt) primitive.LocalTransactionState {
	if m.GetProperty("run") != runID {
		return primitive.RollbackMessageState
	}
	seq, _ := strconv.Atoi(m.GetProperty("seq"))
	l.mu.Lock()
	l.checks[seq]++
	l.mu.Unlock()
	switch {
	case !l.resolve:
		return primitive.UnkonwnState
	case seq%2 == 0:
		return primitive.CommitMessageState
	default:
		return primitive.RollbackMessageState
	}
}

func (l *restartTxListener) checked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.checks)
}

func startTxProducer(t *testing.T, group string, l primitive.TransactionListener) rocketmq.TransactionProducer {
	t.Helper()
	p, err := rocketmq.NewTransactionProducer(l,
		producer.WithNsResolver(resolver()),
		producer.WithGroupName(group),
		producer.WithInstanceName(uniqueName("pi")),
		producer.WithRetry(2),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	return p
}

// restartBroker runs FERROMQ_RESTART_CMD (output to a temporary file, shown on failure).
func restartBroker(t *testing.T, command string) time.Duration {
	t.Helper()
	log, err := os.Create(filepath.Join(t.TempDir(), "restart.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", command)
	// A file, not a pipe: the restarted server inherits nothing the test waits on.
	cmd.Stdout, cmd.Stderr = log, log
	began := time.Now()
	err = cmd.Run()
	took := time.Since(began)
	out, _ := os.ReadFile(log.Name())
	if err != nil {
		t.Fatalf("FERROMQ_RESTART_CMD failed after %v: %v\n%s", took, err, out)
	}
	t.Logf("broker restarted in %v: %s", took.Round(time.Millisecond), out)
	return took
}

// delayLevelAtLeast returns the configured delay level whose delay is the smallest one of at
// least d (and at most 20 s).
func delayLevelAtLeast(t *testing.T, d time.Duration) int {
	t.Helper()
	best := 0
	for l := 1; l <= len(cfg.delayLevels); l++ {
		if v := cfg.delayLevels[l-1]; v >= d && v <= 20*time.Second && (best == 0 || v < cfg.delayLevels[best-1]) {
			best = l
		}
	}
	if best == 0 {
		t.Skipf("no delay level between %v and 20 s in %v", d, cfg.delayLevels)
	}
	return best
}

// Pins: half messages, delayed messages and timer messages pending on a broker survive its
// restart.
//   - Transactions: ten halves whose local transaction is UNKNOWN are left by a producer that then
//     shuts down. After the restart a new producer of the same group (which also sends one
//     transaction of its own and commits it — a producer that never sent knows no broker and
//     never heartbeats, so the broker would have nobody to ask) is asked by
//     CHECK_TRANSACTION_STATE about every half; the ones it commits (even seq) are delivered
//     exactly once, the rolled-back ones never.
//   - Delay levels of about 3, 6 and 10 s and timer messages (TIMER_DELIVER_MS) due 3, 6 and 10 s
//     after being sent just before the restart are delivered after it, each exactly once, with
//     their ids and bodies, never before due (timer: the wheel's 1 s precision) and stored in their
//     topic no earlier than born + delay.
//
// The consumers start after the restart (consuming from the first offset): a Go client does not
// fail requests in flight on a connection that closes, so a long-polling pull that crosses a fast
// restart would hang until its 30 s timeout (the Java suite keeps its consumers running through the
// restart). The restart may take half a minute (Apache RocketMQ 5.3.3's graceful shutdown takes
// ~15 s), so lateness is not bounded; "due after the restart" in the log counts the messages that
// were certainly still pending when the broker stopped.
func TestBrokerRestartPendingWork(t *testing.T) {
	requireFeatures(t)
	command := os.Getenv("FERROMQ_RESTART_CMD")
	if command == "" {
		t.Skip("set FERROMQ_RESTART_CMD to a command that restarts the broker (see README.md)")
	}
	brokers := masterBrokers(t)
	if len(brokers) != 1 {
		t.Fatalf("the restart test wants exactly one master broker, got %v", brokers)
	}
	var brokerAddr string
	for _, a := range brokers {
		brokerAddr = a
	}
	txTopic, delayTopic, timerTopic := uniqueName("rtx"), uniqueName("rdelay"), uniqueName("rtimer")
	for _, topic := range []string{txTopic, delayTopic, timerTopic} {
		createTopic(t, topic, 2)
	}
	// Half messages left UNKNOWN by a producer that goes away.
	group := uniqueName("txpg")
	txMsgs := newMessages(txTopic, "rtx", restartHalves+1, nil)
	before := &restartTxListener{checks: map[int]int{}}
	p1 := startTxProducer(t, group, before)
	for i, m := range txMsgs[:restartHalves] {
		r, err := p1.SendMessageInTransaction(context.Background(), m)
		if err != nil || r.Status != primitive.SendOK || r.State != primitive.UnkonwnState {
			t.Fatalf("half #%d: %v %+v", i, err, r)
		}
	}
	if err := p1.Shutdown(); err != nil {
		t.Fatal(err)
	}

	// Delayed and timer messages due a few seconds from now.
	type sent struct {
		at    time.Time
		delay time.Duration
		id    string
	}
	p := newProducer(t)
	want := []time.Duration{3 * time.Second, 6 * time.Second, 10 * time.Second}
	levels := make([]int, len(want))
	for k, d := range want {
		levels[k] = delayLevelAtLeast(t, d)
	}
	delayMsgs := newMessages(delayTopic, "rdelay", 6, func(i int, m *primitive.Message) { m.WithDelayTimeLevel(levels[i/2]) })
	timerMsgs := newMessages(timerTopic, "rtimer", 6, nil)
	delaySent, timerSent := map[string]sent{}, map[string]sent{}
	for i, m := range delayMsgs {
		at := time.Now()
		r, err := p.SendSync(context.Background(), m)
		if err != nil || r.Status != primitive.SendOK {
			t.Fatalf("delayed send #%d: %v %v", i, err, r)
		}
		delaySent[m.GetProperty("seq")] = sent{at, cfg.delayLevels[levels[i/2]-1], r.MsgID}
	}
	for i, m := range timerMsgs {
		at := time.Now()
		m.WithDelayTimestamp(at.Add(want[i/2]))
		r, err := p.SendSync(context.Background(), m)
		if err != nil || r.Status != primitive.SendOK {
			t.Fatalf("timer send #%d: %v %v", i, err, r)
		}
		timerSent[m.GetProperty("seq")] = sent{at, want[i/2], r.MsgID}
	}

	restartBroker(t, command)
	restarted := time.Now()
	txc, dc, tc := newCollector(), newCollector(), newCollector()
	startPushConsumer(t, uniqueName("g"), txTopic, all, txc.handler("c"))
	startPushConsumer(t, uniqueName("g"), delayTopic, all, dc.handler("c"))
	startPushConsumer(t, uniqueName("g"), timerTopic, all, tc.handler("c"))

	// A new instance of the transactional application.
	after := &restartTxListener{resolve: true, checks: map[int]int{}}
	p2 := startTxProducer(t, group, after)
	defer p2.Shutdown()
	waitFor(t, 90*time.Second, "broker "+brokerAddr+" registered again", func() bool {
		ci, err := fetchClusterInfo(cfg.namesrv[0])
		if err != nil {
			return false
		}
		for _, bd := range ci.BrokerAddrTable {
			if bd.BrokerAddrs["0"] == brokerAddr {
				return true
			}
		}
		return false
	})
	waitFor(t, 60*time.Second, "a transaction sent after the restart", func() bool {
		r, err := p2.SendMessageInTransaction(context.Background(), txMsgs[restartHalves])
		if err == nil && (r.Status != primitive.SendOK || r.State != primitive.CommitMessageState) {
			t.Fatalf("transaction after the restart: %+v", r)
		}
		return err == nil
	})

	t.Run("transactions", func(t *testing.T) {
		var committed []*primitive.Message
		for i, m := range txMsgs {
			if i%2 == 0 || i == restartHalves {
				committed = append(committed, m)
			}
		}
		waitFor(t, 90*time.Second, "check-back of every half after the restart", func() bool { return after.checked() == restartHalves })
		txc.waitDistinct(t, len(committed), 60*time.Second)
		time.Sleep(2 * time.Second) // rolled-back messages must stay away
		checkExactlyOnce(t, committed, txc)
		t.Logf("checks before the restart: %v, after: %v", before.checks, after.checks)
	})

	check := func(t *testing.T, c *collector, msgs []*primitive.Message, sends map[string]sent, early time.Duration) {
		c.waitDistinct(t, len(msgs), 90*time.Second)
		time.Sleep(2 * time.Second) // let duplicates show up
		checkExactlyOnce(t, msgs, c)
		pending := 0
		for _, d := range c.snapshot() {
			seq := d.msg.GetProperty("seq")
			s := sends[seq]
			due := s.at.Add(s.delay)
			if d.at.Before(due.Add(-early)) {
				t.Errorf("seq %s (%v): delivered %v before due", seq, s.delay, due.Sub(d.at))
			}
			if d.msg.StoreTimestamp < d.msg.BornTimestamp+s.delay.Milliseconds()-early.Milliseconds() {
				t.Errorf("seq %s (%v): stored in its topic %d ms after being born", seq, s.delay, d.msg.StoreTimestamp-d.msg.BornTimestamp)
			}
			if d.msg.MsgId != s.id {
				t.Errorf("seq %s: delivered as %s, sent as %s", seq, d.msg.MsgId, s.id)
			}
			if due.After(restarted) {
				pending++
			}
		}
		t.Logf("%d of %d messages were due after the restart had finished", pending, len(msgs))
	}
	t.Run("delay", func(t *testing.T) { check(t, dc, delayMsgs, delaySent, 0) })
	t.Run("timer", func(t *testing.T) { check(t, tc, timerMsgs, timerSent, time.Second) })
}
