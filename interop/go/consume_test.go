package interop

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

// Issue 4 — consumption: clustering, broadcasting, pull consumer, offsets, tags, auto-create.

// waitBalanced sends probe messages (seq "probe-N") until a round of one probe per queue is
// delivered with no duplicate and to every consumer in whos: the group's queues are then split
// among the consumers and no queue is pulled by two of them.
func waitBalanced(t *testing.T, p rocketmq.Producer, topic string, queues int, c *collector, whos ...string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for round := 0; ; round++ {
		if time.Now().After(deadline) {
			t.Fatalf("consumers %v never split the queues of %s between them", whos, topic)
		}
		seqs := make([]string, queues)
		for i := range seqs {
			seqs[i] = fmt.Sprintf("probe-%d-%d", round, i)
			m := primitive.NewMessage(topic, []byte(seqs[i]))
			m.WithProperty("seq", seqs[i])
			if _, err := p.SendSync(context.Background(), m); err != nil {
				t.Fatalf("probe: %v", err)
			}
		}
		ok := true
		waitFor(t, 30*time.Second, "probe round delivered", func() bool {
			c.mu.Lock()
			defer c.mu.Unlock()
			for _, s := range seqs {
				if len(c.bySeq[s]) == 0 {
					return false
				}
			}
			return true
		})
		time.Sleep(200 * time.Millisecond)
		c.mu.Lock()
		got := map[string]bool{}
		for _, s := range seqs {
			for _, d := range c.bySeq[s] {
				got[d.who] = true
			}
			if len(c.bySeq[s]) > 1 {
				ok = false
			}
		}
		c.mu.Unlock()
		for _, w := range whos {
			ok = ok && got[w]
		}
		if ok {
			return
		}
	}
}

// forgetProbes drops the probe deliveries from c.
func (c *collector) forgetProbes() {
	c.mu.Lock()
	defer c.mu.Unlock()
	var keep []delivery
	for _, d := range c.order {
		if s := d.msg.GetProperty("seq"); len(s) > 6 && s[:6] == "probe-" {
			delete(c.bySeq, s)
			continue
		}
		keep = append(keep, d)
	}
	c.order = keep
}

// Pins: CLUSTERING: two consumers of one group (HEART_BEAT with messageModel CLUSTERING,
// GET_CONSUMER_LIST_BY_GROUP returning both client ids, NOTIFY_CONSUMER_IDS_CHANGED to the first
// when the second joins) split the queues; once split, every message is delivered exactly once
// across the two, both get a share, and offsets committed by each (UPDATE_CONSUMER_OFFSET,
// sent oneway) do not disturb the other.
func TestClusteringTwoConsumers(t *testing.T) {
	topic := uniqueName("clu")
	brokers := createTopic(t, topic, 4)
	queues := 4 * len(brokers)
	p := newProducer(t)
	group := uniqueName("g")
	c := newCollector()
	startPushConsumer(t, group, topic, all, c.handler("c1"))
	startPushConsumer(t, group, topic, all, c.handler("c2"))
	waitBalanced(t, p, topic, queues, c, "c1", "c2")
	c.forgetProbes()

	msgs := newMessages(topic, "clu", bulk, nil)
	sendAllSync(t, p, msgs)
	c.waitDistinct(t, bulk, 60*time.Second)
	checkExactlyOnce(t, msgs, c)
	n1, n2 := c.countBy("c1"), c.countBy("c2")
	if n1 == 0 || n2 == 0 {
		t.Errorf("one consumer got nothing: c1=%d c2=%d", n1, n2)
	}
	t.Logf("c1 got %d, c2 got %d", n1, n2)
}

// Pins: BROADCASTING (heartbeat messageModel BROADCASTING; offsets kept by the client): each of
// two consumers of one group receives every message.
func TestBroadcasting(t *testing.T) {
	topic := uniqueName("bc")
	createTopic(t, topic, 4)
	group := uniqueName("g")
	c1, c2 := newCollector(), newCollector()
	startPushConsumer(t, group, topic, all, c1.handler("c1"), consumer.WithConsumerModel(consumer.BroadCasting))
	startPushConsumer(t, group, topic, all, c2.handler("c2"), consumer.WithConsumerModel(consumer.BroadCasting))
	p := newProducer(t)
	msgs := newMessages(topic, "bc", bulk, nil)
	sendAllSync(t, p, msgs)
	c1.waitDistinct(t, bulk, 60*time.Second)
	c2.waitDistinct(t, bulk, 60*time.Second)
	checkExactlyOnce(t, msgs, c1)
	checkExactlyOnce(t, msgs, c2)
}

// Pins: the Go pull consumer (Subscribe + Poll/ACK, its own rebalance) reads everything; with the
// default CONSUME_FROM_LAST_OFFSET a brand-new group on a topic whose messages are all still
// in memory starts at offset 0 (QUERY_CONSUMER_OFFSET answers offset 0 rather than
// QUERY_NOT_FOUND when the queue's min offset is 0 — real RocketMQ's behaviour), so messages
// sent before the consumer started are not skipped.
func TestPullConsumer(t *testing.T) {
	topic := uniqueName("pull")
	createTopic(t, topic, 4)
	p := newProducer(t)
	msgs := newMessages(topic, "pull", bulk, nil)
	sendAllSync(t, p, msgs)

	pc, err := rocketmq.NewPullConsumer(
		consumer.WithNsResolver(resolver()),
		consumer.WithGroupName(uniqueName("g")),
		consumer.WithInstance(uniqueName("ci")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.Subscribe(topic, all); err != nil {
		t.Fatal(err)
	}
	if err := pc.Start(); err != nil {
		t.Fatalf("pull consumer Start: %v", err)
	}
	defer pc.Shutdown()

	c := newCollector()
	deadline := time.Now().Add(60 * time.Second)
	for c.distinct() < bulk && time.Now().Before(deadline) {
		cr, err := pc.Poll(context.Background(), 2*time.Second)
		if errors.Is(err, consumer.ErrNoNewMsg) {
			continue
		}
		if err != nil {
			t.Fatalf("Poll: %v", err)
		}
		c.add("pull", cr.GetMsgList()...)
		pc.ACK(context.Background(), cr, consumer.ConsumeSuccess)
	}
	time.Sleep(300 * time.Millisecond)
	checkExactlyOnce(t, msgs, c)
}

// Pins: PULL_MESSAGE at explicit offsets: PullFrom(queue, offset, n) returns FOUND with at most n
// messages starting exactly at offset, nextBeginOffset = last offset + 1, maxOffset = queue
// length; an offset beyond the end answers PULL_OFFSET_MOVED with nextBeginOffset = max offset;
// a pull at the end is held (long polling) and answered FOUND as soon as a message arrives.
func TestPullFromOffsets(t *testing.T) {
	topic := uniqueName("pullat")
	brokers := createTopic(t, topic, 1)
	mq := &primitive.MessageQueue{Topic: topic, BrokerName: brokers[0], QueueId: 0}
	p := newProducer(t, producer.WithQueueSelector(producer.NewManualQueueSelector()))
	msgs := newMessages(topic, "pullat", 100, func(_ int, m *primitive.Message) { m.Queue = mq })
	sendAllSync(t, p, msgs)

	pc, err := rocketmq.NewPullConsumer(
		consumer.WithNsResolver(resolver()),
		consumer.WithGroupName(uniqueName("g")),
		consumer.WithInstance(uniqueName("ci")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.Subscribe(topic, all); err != nil {
		t.Fatal(err)
	}
	if err := pc.Start(); err != nil {
		t.Fatalf("pull consumer Start: %v", err)
	}
	defer pc.Shutdown()

	for _, start := range []int64{0, 37, 90} {
		res, err := pc.PullFrom(context.Background(), &primitive.MessageQueue{Topic: topic, BrokerName: mq.BrokerName, QueueId: mq.QueueId}, start, 16)
		if err != nil {
			t.Fatalf("PullFrom %d: %v", start, err)
		}
		if res.Status != primitive.PullFound {
			t.Fatalf("PullFrom %d: status %v", start, res.Status)
		}
		got := res.GetMessageExts()
		if len(got) == 0 || len(got) > 16 {
			t.Fatalf("PullFrom %d: %d messages", start, len(got))
		}
		for k, m := range got {
			if m.QueueOffset != start+int64(k) {
				t.Errorf("PullFrom %d: message %d at offset %d", start, k, m.QueueOffset)
			}
			checkMessage(t, msgs[start+int64(k)], m)
		}
		if res.NextBeginOffset != start+int64(len(got)) || res.MaxOffset != 100 {
			t.Errorf("PullFrom %d: nextBeginOffset %d maxOffset %d, want %d and 100", start, res.NextBeginOffset, res.MaxOffset, start+int64(len(got)))
		}
	}
	queue := &primitive.MessageQueue{Topic: topic, BrokerName: mq.BrokerName, QueueId: mq.QueueId}
	res, err := pc.PullFrom(context.Background(), queue, 150, 16)
	if err != nil {
		t.Fatalf("PullFrom beyond the end: %v", err)
	}
	if res.Status != primitive.PullOffsetIllegal || res.NextBeginOffset != 100 {
		t.Errorf("PullFrom 150 of 100: status %v nextBeginOffset %d, want PULL_OFFSET_MOVED (21) with 100", res.Status, res.NextBeginOffset)
	}

	// Long polling: a pull at the end is held by the broker and answered as soon as a message
	// arrives, well before the 20 s suspension the Go client asks for.
	type pulled struct {
		res *primitive.PullResult
		err error
	}
	ch := make(chan pulled, 1)
	started := time.Now()
	go func() {
		r, err := pc.PullFrom(context.Background(), queue, 100, 16)
		ch <- pulled{r, err}
	}()
	time.Sleep(500 * time.Millisecond)
	late := newMessages(topic, "late", 1, func(_ int, m *primitive.Message) { m.Queue = mq })[0]
	late.WithProperty("seq", "late")
	if _, err := p.SendSync(context.Background(), late); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-ch:
		if got.err != nil {
			t.Fatalf("held pull: %v", got.err)
		}
		if got.res.Status != primitive.PullFound || len(got.res.GetMessageExts()) != 1 || got.res.GetMessageExts()[0].QueueOffset != 100 {
			t.Fatalf("held pull: status %v, %d messages", got.res.Status, len(got.res.GetMessageExts()))
		}
		checkMessage(t, late, got.res.GetMessageExts()[0])
		t.Logf("held pull answered after %v", time.Since(started).Round(time.Millisecond))
	case <-time.After(10 * time.Second):
		t.Fatal("pull at the end of the queue was not answered within 10 s of a new message (long polling must wake on arrival)")
	}
}

// Pins: offsets committed by a clustering consumer survive it: a consumer of the same group that
// starts later (even with CONSUME_FROM_FIRST_OFFSET) resumes at the committed offsets
// (QUERY_CONSUMER_OFFSET), receiving only what was sent after the first consumer had consumed
// and committed; a closed connection is enough for the broker to forget the first consumer (the
// Go client never sends UNREGISTER_CLIENT).
func TestRestartResumesFromCommittedOffset(t *testing.T) {
	topic := uniqueName("resume")
	createTopic(t, topic, 4)
	p := newProducer(t)
	group := uniqueName("g")

	first := newMessages(topic, "first", bulk/2, nil)
	sendAllSync(t, p, first)
	c1 := newCollector()
	cons := startPushConsumer(t, group, topic, all, c1.handler("c1"))
	c1.waitDistinct(t, len(first), 60*time.Second)
	checkExactlyOnce(t, first, c1)
	waitFor(t, 15*time.Second, "consumer offsets to reach the end of every queue", func() bool {
		d, ok := cons.GetOffsetDiffMap()[topic]
		return ok && d == 0
	})
	if err := cons.Shutdown(); err != nil { // persists offsets (oneway UPDATE_CONSUMER_OFFSET)
		t.Fatal(err)
	}

	second := newMessages(topic, "second", bulk/2, func(i int, m *primitive.Message) {
		m.WithProperty("seq", strconv.Itoa(bulk/2+i))
	})
	sendAllSync(t, p, second)
	c2 := newCollector()
	startPushConsumer(t, group, topic, all, c2.handler("c2"))
	c2.waitDistinct(t, len(second), 60*time.Second)
	checkExactlyOnce(t, second, c2)
}

// Pins: tag subscriptions: "TagA || TagB" (subscription sent in the heartbeat and the pull
// header, tag hash codes as strings in codeSet) delivers exactly the TagA and TagB messages —
// not TagC, not untagged ones — and a second group subscribed to "TagC" gets exactly those.
func TestTagSubscription(t *testing.T) {
	topic := uniqueName("tags")
	createTopic(t, topic, 4)
	tags := []string{"TagA", "TagB", "TagC", ""}
	msgs := newMessages(topic, "tags", bulk, func(i int, m *primitive.Message) {
		if tag := tags[i%4]; tag != "" {
			m.WithTag(tag)
		}
	})
	var ab, c []*primitive.Message
	for i, m := range msgs {
		switch tags[i%4] {
		case "TagA", "TagB":
			ab = append(ab, m)
		case "TagC":
			c = append(c, m)
		}
	}
	cab, cc := newCollector(), newCollector()
	startPushConsumer(t, uniqueName("g"), topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "TagA || TagB"}, cab.handler("ab"))
	startPushConsumer(t, uniqueName("g"), topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "TagC"}, cc.handler("c"))
	sendAllSync(t, newProducer(t), msgs)
	cab.waitDistinct(t, len(ab), 60*time.Second)
	cc.waitDistinct(t, len(c), 60*time.Second)
	checkExactlyOnce(t, ab, cab)
	checkExactlyOnce(t, c, cc)
}

// Pins: auto-create (autoCreateTopicEnable, RocketMQ's default): the NameServer routes TBW102;
// a send to a topic nobody created gets TOPIC_NOT_EXIST from the NameServer, goes to a broker
// through TBW102's route with defaultTopic=TBW102/defaultTopicQueueNums=4, and the broker creates
// the topic with 4 queues and registers it with the NameServer at once; consumers then find it.
func TestAutoCreateTopicOnSend(t *testing.T) {
	topic := uniqueName("auto")
	if _, code, err := fetchRouteWire(cfg.namesrv[0], "TBW102"); err != nil {
		t.Fatalf("TBW102 has no route (code %d): auto-create needs autoCreateTopicEnable=true: %v", code, err)
	}
	if _, code, _ := fetchRouteWire(cfg.namesrv[0], topic); code != codeTopicNotExist {
		t.Fatalf("fresh topic already routed (code %d)", code)
	}
	p := newProducer(t)
	msgs := newMessages(topic, "auto", bulk, nil)
	results := sendAllSync(t, p, msgs)
	used := map[string]bool{}
	for _, r := range results {
		used[r.MessageQueue.BrokerName] = true
	}
	r := waitForRoute(t, topic, sortedKeys(used))
	for _, q := range r.QueueDatas {
		if q.WriteQueueNums != 4 || q.ReadQueueNums != 4 {
			t.Errorf("auto-created topic queueData %+v, want 4 read/write queues", q)
		}
	}
	checkExactlyOnce(t, msgs, consumeAll(t, topic, bulk))
}

// Pins: a producer with a custom queue selector (messages pinned to a queue via Message.Queue and
// the manual selector) stores each message in exactly the queue it asked for.
func TestSendToChosenQueue(t *testing.T) {
	topic := uniqueName("manual")
	brokers := createTopic(t, topic, 4)
	p := newProducer(t, producer.WithQueueSelector(producer.NewManualQueueSelector()))
	msgs := newMessages(topic, "manual", 200, func(i int, m *primitive.Message) {
		m.Queue = &primitive.MessageQueue{Topic: topic, BrokerName: brokers[i%len(brokers)], QueueId: i % 4}
	})
	for i, m := range msgs {
		r, err := p.SendSync(context.Background(), m)
		if err != nil {
			t.Fatalf("send #%d: %v", i, err)
		}
		if r.MessageQueue.QueueId != i%4 || r.MessageQueue.BrokerName != brokers[i%len(brokers)] {
			t.Errorf("#%d went to %s/%d", i, r.MessageQueue.BrokerName, r.MessageQueue.QueueId)
		}
	}
	c := consumeAll(t, topic, len(msgs))
	checkExactlyOnce(t, msgs, c)
	for _, d := range c.snapshot() {
		i, _ := strconv.Atoi(d.msg.GetProperty("seq"))
		if d.msg.Queue.QueueId != i%4 {
			t.Errorf("seq %d consumed from queue %d", i, d.msg.Queue.QueueId)
		}
	}
}
