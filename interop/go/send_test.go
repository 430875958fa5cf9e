package interop

import (
	"context"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
)

// Issue 4 — sends. Every test sends 1,000 messages (binary bodies, some compressed) and reads
// them back with a push consumer, comparing bodies byte for byte.

const bulk = 1000

// consumeAll starts one push consumer on topic and waits for n distinct messages.
func consumeAll(t *testing.T, topic string, n int) *collector {
	t.Helper()
	c := newCollector()
	startPushConsumer(t, uniqueName("g"), topic, all, c.handler("c1"))
	c.waitDistinct(t, n, 60*time.Second)
	return c
}

// Pins: SEND_MESSAGE (10, the Go client's single-message request with long header names and
// "bname") answers SUCCESS with extFields msgId (32 hex chars: store host IPv4 + port + commit
// log offset), queueId and queueOffset; offsets in each queue of a new topic run 0,1,2,… without
// gaps; queue offsets and offset message ids come back unchanged on the consumed messages, the
// message id (UNIQ_KEY) too; the store host is the broker's advertised address; bodies over
// 4 KiB arrive zlib-compressed (sysFlag bit 0) and are delivered with the flag intact.
func TestSendSync(t *testing.T) {
	topic := uniqueName("sync")
	createTopic(t, topic, 4)
	masters := masterBrokers(t)
	p := newProducer(t)
	msgs := newMessages(topic, "sync", bulk, nil)
	results := sendAllSync(t, p, msgs)

	perQueue := map[string][]int64{}
	for i, r := range results {
		if r.MsgID != msgs[i].GetProperty(primitive.PropertyUniqueClientMessageIdKeyIndex) || r.MsgID == "" {
			t.Errorf("#%d: SendResult.MsgID %q, UNIQ_KEY %q", i, r.MsgID, msgs[i].GetProperty(primitive.PropertyUniqueClientMessageIdKeyIndex))
		}
		id, err := primitive.UnmarshalMsgID([]byte(r.OffsetMsgID))
		if err != nil || len(r.OffsetMsgID) != 32 {
			t.Fatalf("#%d: offset msg id %q: %v", i, r.OffsetMsgID, err)
		}
		if addr := fmt.Sprintf("%s:%d", id.Addr, id.Port); addr != masters[r.MessageQueue.BrokerName] {
			t.Errorf("#%d: offset msg id encodes %s, broker %s is at %s", i, addr, r.MessageQueue.BrokerName, masters[r.MessageQueue.BrokerName])
		}
		key := fmt.Sprintf("%s/%d", r.MessageQueue.BrokerName, r.MessageQueue.QueueId)
		perQueue[key] = append(perQueue[key], r.QueueOffset)
	}
	if len(perQueue) < 4 {
		t.Errorf("round-robin sends used only queues %v", sortedKeys(perQueue))
	}
	for q, offs := range perQueue {
		for i, o := range offs {
			if o != int64(i) {
				t.Fatalf("queue %s: offsets %v…, want 0,1,2,…", q, offs[:min(len(offs), 10)])
			}
		}
	}

	c := consumeAll(t, topic, bulk)
	checkExactlyOnce(t, msgs, c)
	bySeq := map[string]*primitive.SendResult{}
	for i, m := range msgs {
		bySeq[m.GetProperty("seq")] = results[i]
	}
	compressed := 0
	for _, d := range c.snapshot() {
		r := bySeq[d.msg.GetProperty("seq")]
		m := d.msg
		if m.MsgId != r.MsgID || m.OffsetMsgId != r.OffsetMsgID || m.QueueOffset != r.QueueOffset ||
			m.Queue.QueueId != r.MessageQueue.QueueId || m.Queue.BrokerName != r.MessageQueue.BrokerName {
			t.Errorf("seq %s: consumed (id %s, offset id %s, %s/%d@%d) != sent (%s, %s, %s/%d@%d)",
				m.GetProperty("seq"), m.MsgId, m.OffsetMsgId, m.Queue.BrokerName, m.Queue.QueueId, m.QueueOffset,
				r.MsgID, r.OffsetMsgID, r.MessageQueue.BrokerName, r.MessageQueue.QueueId, r.QueueOffset)
		}
		if m.StoreHost != masters[m.Queue.BrokerName] {
			t.Errorf("seq %s: store host %s, broker at %s", m.GetProperty("seq"), m.StoreHost, masters[m.Queue.BrokerName])
		}
		if m.ReconsumeTimes != 0 {
			t.Errorf("seq %s: reconsume times %d on first delivery", m.GetProperty("seq"), m.ReconsumeTimes)
		}
		if m.SysFlag&primitive.FlagCompressed != 0 {
			compressed++
		}
	}
	if compressed == 0 {
		t.Errorf("no message arrived with the compressed flag; bodies over 4 KiB are sent compressed")
	}
}

// Pins: asynchronous SEND_MESSAGE: many requests in flight on one connection, each answered with
// its own opaque; every callback reports SEND_OK with distinct (queue, offset) pairs.
func TestSendAsync(t *testing.T) {
	topic := uniqueName("async")
	createTopic(t, topic, 4)
	p := newProducer(t)
	msgs := newMessages(topic, "async", bulk, nil)

	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	seen := map[string]bool{}
	for _, m := range msgs {
		wg.Add(1)
		err := p.SendAsync(context.Background(), func(_ context.Context, r *primitive.SendResult, err error) {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			if r.Status != primitive.SendOK {
				errs = append(errs, fmt.Errorf("status %v", r.Status))
			}
			key := fmt.Sprintf("%s/%d@%d", r.MessageQueue.BrokerName, r.MessageQueue.QueueId, r.QueueOffset)
			if seen[key] {
				errs = append(errs, fmt.Errorf("two messages stored at %s", key))
			}
			seen[key] = true
		}, m)
		if err != nil {
			wg.Done()
			t.Fatalf("SendAsync: %v", err)
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("async send callbacks did not all arrive within 30 s")
	}
	if len(errs) > 0 {
		t.Fatalf("%d async sends failed, first: %v", len(errs), errs[0])
	}
	checkExactlyOnce(t, msgs, consumeAll(t, topic, bulk))
}

// Pins: oneway SEND_MESSAGE (flag bit 1 set): the server stores the message and sends no
// response; nothing is lost even though the client never waits.
func TestSendOneway(t *testing.T) {
	topic := uniqueName("oneway")
	createTopic(t, topic, 4)
	p := newProducer(t)
	msgs := newMessages(topic, "oneway", bulk, nil)
	for i, m := range msgs {
		if err := p.SendOneWay(context.Background(), m); err != nil {
			t.Fatalf("SendOneWay #%d: %v", i, err)
		}
	}
	checkExactlyOnce(t, msgs, consumeAll(t, topic, bulk))
}

// Pins: SEND_BATCH_MESSAGE (320) with the V2 short header (a…n, "n" = broker name, "m" =
// batch=true) and a body of concatenated encoded messages (total size, magic 0, body CRC 0,
// flag, body, properties): the whole batch lands in one queue with consecutive offsets starting
// at the returned queueOffset, and the response's msgId lists one offset message id per message,
// comma-separated; each message keeps its own properties.
func TestSendBatch(t *testing.T) {
	topic := uniqueName("batch")
	createTopic(t, topic, 4)
	p := newProducer(t)
	msgs := newMessages(topic, "batch", bulk, func(i int, m *primitive.Message) {
		m.WithTag("batch")
		m.WithKeys([]string{"bk" + strconv.Itoa(i)})
	})
	const per = 50
	type span struct {
		broker string
		queue  int
		first  int64
	}
	spans := map[int]span{}
	for start := 0; start < len(msgs); start += per {
		r, err := p.SendSync(context.Background(), msgs[start:start+per]...)
		if err != nil {
			t.Fatalf("batch at %d: %v", start, err)
		}
		if r.Status != primitive.SendOK {
			t.Fatalf("batch at %d: status %v", start, r.Status)
		}
		ids := strings.Split(r.OffsetMsgID, ",")
		if len(ids) != per {
			t.Errorf("batch at %d: %d offset msg ids in %q, want %d", start, len(ids), r.OffsetMsgID, per)
		}
		for _, id := range ids {
			if _, err := primitive.UnmarshalMsgID([]byte(id)); err != nil {
				t.Errorf("batch at %d: bad offset msg id %q: %v", start, id, err)
			}
		}
		spans[start/per] = span{r.MessageQueue.BrokerName, r.MessageQueue.QueueId, r.QueueOffset}
	}
	c := consumeAll(t, topic, bulk)
	checkExactlyOnce(t, msgs, c)
	for _, d := range c.snapshot() {
		seq, _ := strconv.Atoi(d.msg.GetProperty("seq"))
		s := spans[seq/per]
		if d.msg.Queue.BrokerName != s.broker || d.msg.Queue.QueueId != s.queue || d.msg.QueueOffset != s.first+int64(seq%per) {
			t.Errorf("seq %d stored at %s/%d@%d, want %s/%d@%d", seq, d.msg.Queue.BrokerName, d.msg.Queue.QueueId,
				d.msg.QueueOffset, s.broker, s.queue, s.first+int64(seq%per))
		}
		if d.msg.GetKeys() != "bk"+strconv.Itoa(seq) || d.msg.GetTags() != "batch" {
			t.Errorf("seq %d: keys %q tags %q", seq, d.msg.GetKeys(), d.msg.GetTags())
		}
	}
}

// Pins: message metadata round-trips: KEYS (space-separated), TAGS, user properties (including
// non-ASCII text, '=', ':', spaces, long values), the int32 flag, born timestamp; the broker adds
// its own system properties but leaves the user's untouched; the stored body CRC is RocketMQ's
// (CRC32 IEEE of the stored body & 0x7FFFFFFF).
func TestKeysAndProperties(t *testing.T) {
	topic := uniqueName("props")
	createTopic(t, topic, 2)
	p := newProducer(t)
	before := time.Now().Add(-time.Second).UnixMilli()
	msgs := newMessages(topic, "props", bulk, func(i int, m *primitive.Message) {
		m.WithKeys([]string{fmt.Sprintf("key-%d", i), "shared-key"})
		m.WithTag(fmt.Sprintf("tag%d", i%7))
		m.WithProperty("unicode", "héllo wörld ✓ 日本")
		m.WithProperty("symbols", "a=b:c;d,e {\"json\": [1,2]} 'quoted'")
		m.WithProperty("long", strings.Repeat("v", 1000+i))
		m.WithProperty("idx", strconv.Itoa(i*31))
		m.Flag = int32(i * 17)
	})
	sendAllSync(t, p, msgs)
	after := time.Now().Add(time.Second).UnixMilli()

	c := consumeAll(t, topic, bulk)
	checkExactlyOnce(t, msgs, c)
	for _, d := range c.snapshot() {
		m := d.msg
		i, _ := strconv.Atoi(m.GetProperty("seq"))
		if m.GetKeys() != fmt.Sprintf("key-%d shared-key", i) {
			t.Errorf("seq %d: KEYS %q", i, m.GetKeys())
		}
		if m.Flag != int32(i*17) {
			t.Errorf("seq %d: flag %d, want %d", i, m.Flag, i*17)
		}
		if m.BornTimestamp < before || m.BornTimestamp > after || m.StoreTimestamp < m.BornTimestamp-1000 {
			t.Errorf("seq %d: born %d store %d, sent between %d and %d", i, m.BornTimestamp, m.StoreTimestamp, before, after)
		}
		if m.SysFlag&primitive.FlagCompressed == 0 {
			if want := int32(crc32.ChecksumIEEE(m.Body) & 0x7FFFFFFF); m.BodyCRC != want {
				t.Errorf("seq %d: body CRC %d, want %d", i, m.BodyCRC, want)
			}
		}
	}
}
