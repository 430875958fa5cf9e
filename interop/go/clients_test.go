package interop

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

func resolver() primitive.NsResolver { return primitive.NewPassthroughResolver(cfg.namesrv) }

func newAdmin(t *testing.T, namesrv ...string) admin.Admin {
	t.Helper()
	if len(namesrv) == 0 {
		namesrv = cfg.namesrv
	}
	a, err := admin.NewAdmin(admin.WithResolver(primitive.NewPassthroughResolver(namesrv)))
	if err != nil {
		t.Fatalf("admin.NewAdmin: %v", err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}

// createTopic creates topic with the given queue count on every master broker through the Go
// admin API (UPDATE_AND_CREATE_TOPIC, code 17) and waits until every NameServer routes it.
// It returns the broker names it was created on.
func createTopic(t *testing.T, topic string, queues int, opts ...admin.OptionCreate) []string {
	t.Helper()
	brokers := masterBrokers(t)
	a := newAdmin(t)
	names := sortedKeys(brokers)
	for _, name := range names {
		all := append([]admin.OptionCreate{
			admin.WithTopicCreate(topic),
			admin.WithBrokerAddrCreate(brokers[name]),
			admin.WithReadQueueNums(queues),
			admin.WithWriteQueueNums(queues),
		}, opts...)
		if err := a.CreateTopic(context.Background(), all...); err != nil {
			t.Fatalf("CreateTopic %s on %s (%s): %v", topic, name, brokers[name], err)
		}
	}
	waitForRoute(t, topic, names)
	return names
}

func newProducer(t *testing.T, opts ...producer.Option) rocketmq.Producer {
	t.Helper()
	all := append([]producer.Option{
		producer.WithNsResolver(resolver()),
		producer.WithGroupName(uniqueName("pg")),
		producer.WithInstanceName(uniqueName("pi")),
		producer.WithRetry(2),
		producer.WithSendMsgTimeout(5 * time.Second),
	}, opts...)
	p, err := rocketmq.NewProducer(all...)
	if err != nil {
		t.Fatalf("NewProducer: %v", err)
	}
	if err := p.Start(); err != nil {
		t.Fatalf("producer Start: %v", err)
	}
	t.Cleanup(func() { _ = p.Shutdown() })
	return p
}

type handler func(context.Context, ...*primitive.MessageExt) (consumer.ConsumeResult, error)

// runningConsumer is a started push consumer.
type runningConsumer struct {
	rocketmq.PushConsumer
	started time.Time
}

// firstHeartbeatDelay is when the Go client's background heartbeat first fires after Start.
const firstHeartbeatDelay = time.Second

// Shutdown stops the consumer, but not before its first background heartbeat has gone out: a
// heartbeat racing with Shutdown can reach the broker after the connection's close was handled,
// and real RocketMQ then keeps a ghost consumer in the group (and gives it queues) until it
// expires the channel 120 s later.
func (c *runningConsumer) Shutdown() error {
	if wait := time.Until(c.started.Add(firstHeartbeatDelay + 300*time.Millisecond)); wait > 0 {
		time.Sleep(wait)
	}
	return c.PushConsumer.Shutdown()
}

// startPushConsumer starts a push consumer of group on topic. Each consumer gets its own
// instance name: the Go client shares one connection set per instance name and refuses a second
// consumer of the same group on it.
func startPushConsumer(t *testing.T, group, topic string, sel consumer.MessageSelector, h handler, opts ...consumer.Option) *runningConsumer {
	t.Helper()
	all := append([]consumer.Option{
		consumer.WithNsResolver(resolver()),
		consumer.WithGroupName(group),
		consumer.WithInstance(uniqueName("ci")),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	}, opts...)
	pc, err := rocketmq.NewPushConsumer(all...)
	if err != nil {
		t.Fatalf("NewPushConsumer: %v", err)
	}
	if err := pc.Subscribe(topic, sel, h); err != nil {
		t.Fatalf("Subscribe %s: %v", topic, err)
	}
	c := &runningConsumer{PushConsumer: pc, started: time.Now()}
	if err := pc.Start(); err != nil {
		t.Fatalf("push consumer Start (%s on %s): %v", group, topic, err)
	}
	t.Cleanup(func() { _ = c.Shutdown() })
	return c
}

var all = consumer.MessageSelector{Type: consumer.TAG, Expression: "*"}

// payload returns message i's body: an ASCII prefix naming it, then pseudo-random binary bytes
// (every byte value occurs). Every 97th body is 5–9 KiB, above the Go producer's 4 KiB
// compression threshold, so compressed messages (sysFlag bit 0, zlib) are covered too.
func payload(tag string, i int) []byte {
	r := rand.New(rand.NewSource(int64(i)*7919 + int64(len(tag))))
	n := r.Intn(300)
	if i%97 == 5 {
		n = 5000 + r.Intn(4000)
	}
	b := []byte(fmt.Sprintf("%s#%d|", tag, i))
	for j := 0; j < n; j++ {
		b = append(b, byte(r.Intn(256)))
	}
	return b
}

// newMessages builds n messages for topic, numbered by the user property "seq"; decorate may
// add tags, keys or properties.
func newMessages(topic, tag string, n int, decorate func(i int, m *primitive.Message)) []*primitive.Message {
	msgs := make([]*primitive.Message, n)
	for i := range msgs {
		m := primitive.NewMessage(topic, payload(tag, i))
		m.WithProperty("seq", strconv.Itoa(i))
		m.WithProperty("run", runID)
		if decorate != nil {
			decorate(i, m)
		}
		msgs[i] = m
	}
	return msgs
}

// delivery is one message handed to a listener.
type delivery struct {
	who string
	msg *primitive.MessageExt
	at  time.Time
}

// collector records every delivery, keyed by the "seq" property.
type collector struct {
	mu    sync.Mutex
	bySeq map[string][]delivery
	order []delivery
}

func newCollector() *collector { return &collector{bySeq: map[string][]delivery{}} }

func (c *collector) add(who string, msgs ...*primitive.MessageExt) {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range msgs {
		d := delivery{who: who, msg: m, at: now}
		c.bySeq[m.GetProperty("seq")] = append(c.bySeq[m.GetProperty("seq")], d)
		c.order = append(c.order, d)
	}
}

// handler returns a listener that records as who and acknowledges.
func (c *collector) handler(who string) handler {
	return func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		c.add(who, msgs...)
		return consumer.ConsumeSuccess, nil
	}
}

func (c *collector) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.order)
}

func (c *collector) distinct() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.bySeq)
}

func (c *collector) snapshot() []delivery {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]delivery(nil), c.order...)
}

func (c *collector) countBy(who string) int {
	n := 0
	for _, d := range c.snapshot() {
		if d.who == who {
			n++
		}
	}
	return n
}

// waitDistinct waits until n distinct messages arrived, then lets duplicates show up for a
// short while so that exactly-once checks see them.
func (c *collector) waitDistinct(t *testing.T, n int, timeout time.Duration) {
	t.Helper()
	waitFor(t, timeout, fmt.Sprintf("%d distinct messages (have %d)", n, c.distinct()), func() bool { return c.distinct() >= n })
	time.Sleep(300 * time.Millisecond)
}

// changedByBroker lists properties the sender's copy carries that RocketMQ legitimately drops
// or rewrites before delivery (the tests that care check them explicitly).
var changedByBroker = map[string]bool{
	primitive.PropertyUniqueClientMessageIdKeyIndex: true, // compared as MsgId
	primitive.PropertyTransactionPrepared:           true, // cleared on commit
	primitive.PropertyProducerGroup:                 true,
	primitive.PropertyTransactionID:                 true, // set locally after the half send
	primitive.PropertyDelayTimeLevel:                true, // cleared on delivery
	primitive.PropertyTimerDeliverMS:                true,
}

// checkMessage compares a delivered message with what was sent: body byte for byte, topic,
// tags, keys and every user property.
func checkMessage(t *testing.T, want *primitive.Message, got *primitive.MessageExt) {
	t.Helper()
	if !bytes.Equal(want.Body, got.Body) {
		t.Errorf("seq %s: body differs: sent %d bytes, got %d bytes", want.GetProperty("seq"), len(want.Body), len(got.Body))
	}
	if got.Topic != want.Topic {
		t.Errorf("seq %s: topic %q, want %q", want.GetProperty("seq"), got.Topic, want.Topic)
	}
	for k, v := range want.GetProperties() {
		if changedByBroker[k] {
			continue
		}
		if gv := got.GetProperty(k); gv != v {
			t.Errorf("seq %s: property %q = %q, want %q", want.GetProperty("seq"), k, gv, v)
		}
	}
}

// checkExactlyOnce asserts every sent message was delivered exactly once (across all
// listeners of the collector) with identical content, and nothing else was delivered.
func checkExactlyOnce(t *testing.T, sent []*primitive.Message, c *collector) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	want := map[string]*primitive.Message{}
	for _, m := range sent {
		want[m.GetProperty("seq")] = m
	}
	var dups, missing []string
	for seq, m := range want {
		got := c.bySeq[seq]
		switch {
		case len(got) == 0:
			missing = append(missing, seq)
		case len(got) > 1:
			dups = append(dups, fmt.Sprintf("%s x%d", seq, len(got)))
			fallthrough
		default:
			checkMessage(t, m, got[0].msg)
		}
	}
	for seq := range c.bySeq {
		if want[seq] == nil {
			t.Errorf("unexpected message seq=%q delivered", seq)
		}
	}
	sort.Strings(missing)
	sort.Strings(dups)
	if len(missing) > 0 {
		t.Errorf("%d of %d messages never delivered, e.g. %v", len(missing), len(sent), head(missing))
	}
	if len(dups) > 0 {
		t.Errorf("%d messages delivered more than once, e.g. %v", len(dups), head(dups))
	}
}

func head(s []string) string {
	if len(s) > 10 {
		return strings.Join(s[:10], ", ") + ", …"
	}
	return strings.Join(s, ", ")
}

// sendAllSync sends msgs one by one with SendSync and checks each result.
func sendAllSync(t *testing.T, p rocketmq.Producer, msgs []*primitive.Message) []*primitive.SendResult {
	t.Helper()
	results := make([]*primitive.SendResult, len(msgs))
	for i, m := range msgs {
		r, err := p.SendSync(context.Background(), m)
		if err != nil {
			t.Fatalf("SendSync #%d: %v", i, err)
		}
		if r.Status != primitive.SendOK {
			t.Fatalf("SendSync #%d: status %v", i, r.Status)
		}
		results[i] = r
	}
	return results
}
