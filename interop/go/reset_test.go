package interop

import (
	"context"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
)

// codeInvokeBrokerToResetOffset is INVOKE_BROKER_TO_RESET_OFFSET, what `mqadmin resetOffsetByTime`
// and the Java admin's resetOffsetByTimestamp send to each broker of the topic. The Go admin API
// has no reset call, so the test sends it on the wire.
const codeInvokeBrokerToResetOffset = 222

// resetBodyEntry matches one `{...MessageQueue...}:offset` entry of the fastjson ResetOffsetBody
// (`{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:5,...}}`: object keys).
var resetBodyEntry = regexp.MustCompile(`\{([^{}]*)\}\s*:\s*(-?\d+)`)
var resetBodyQueueID = regexp.MustCompile(`"queueId"\s*:\s*(\d+)`)

// resetOffsetByTime resets group's offsets of topic on the broker at addr to the first message
// stored at or after timestampMs, with isForce=true and all queues (queueId -1), as the Java
// admin does; it returns queue id → the offset the broker chose.
func resetOffsetByTime(t *testing.T, addr, topic, group string, timestampMs int64) map[int]int64 {
	t.Helper()
	resp, err := wireInvoke(addr, codeInvokeBrokerToResetOffset, map[string]string{
		"topic":     topic,
		"group":     group,
		"timestamp": strconv.FormatInt(timestampMs, 10),
		"isForce":   "true",
		"queueId":   "-1",
	})
	if err != nil {
		t.Fatalf("INVOKE_BROKER_TO_RESET_OFFSET to %s: %v", addr, err)
	}
	if resp.Code != codeSuccess {
		t.Fatalf("INVOKE_BROKER_TO_RESET_OFFSET to %s: code %d %s", addr, resp.Code, resp.Remark)
	}
	out := map[int]int64{}
	for _, m := range resetBodyEntry.FindAllSubmatch(resp.Body, -1) {
		q := resetBodyQueueID.FindSubmatch(m[1])
		if q == nil {
			t.Fatalf("reset body entry without queueId: %s", m[0])
		}
		id, _ := strconv.Atoi(string(q[1]))
		off, _ := strconv.ParseInt(string(m[2]), 10, 64)
		out[id] = off
	}
	return out
}

// Pins: resetting the offsets of a live group by time (INVOKE_BROKER_TO_RESET_OFFSET, Java 5.x's
// default server-side reset). A Go push consumer has consumed 100 messages; T lies between the
// first 50 and the last 50 (200 ms gaps on both sides). The broker answers, per queue, the first
// offset stored at or after T; the still-running consumer then receives exactly the 50 messages
// stored at or after T again, each exactly once, and nothing stored before T.
//
// Timing (Go client): the broker answers each queue's next pull with PULL_OFFSET_MOVED; that pull
// comes when the current long poll ends (the Go client asks the broker to hold it up to 20 s).
// The client then sleeps 10 s, stores and persists the new offset and drops the queue, and its
// next periodic rebalance (every 20 s) takes the queue up again from the broker's offset. So
// re-delivery starts 10–50 s after the reset (measured ~30 s against Apache RocketMQ 5.3.3); the
// test allows 90 s and changes no client timing.
func TestLiveResetOffsetByTime(t *testing.T) {
	requireFeatures(t)
	topic := uniqueName("reset")
	createTopic(t, topic, 2)
	group := uniqueName("g")
	var mu sync.Mutex
	first := newCollector()
	cur := first
	startPushConsumer(t, group, topic, all, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		mu.Lock()
		c := cur
		mu.Unlock()
		c.add("c", msgs...)
		return consumer.ConsumeSuccess, nil
	})
	p := newProducer(t)
	msgs := newMessages(topic, "reset", 100, nil)
	results := sendAllSync(t, p, msgs[:50])
	time.Sleep(200 * time.Millisecond)
	at := time.Now().UnixMilli()
	time.Sleep(200 * time.Millisecond)
	sendAllSync(t, p, msgs[50:])
	first.waitDistinct(t, len(msgs), 30*time.Second)
	checkExactlyOnce(t, msgs, first)

	beforeT := map[string]map[int]int64{} // broker → queue → messages stored before T
	for _, r := range results {
		if beforeT[r.MessageQueue.BrokerName] == nil {
			beforeT[r.MessageQueue.BrokerName] = map[int]int64{}
		}
		beforeT[r.MessageQueue.BrokerName][r.MessageQueue.QueueId]++
	}
	again := newCollector()
	mu.Lock()
	cur = again
	mu.Unlock()
	resetAt := time.Now()
	for name, addr := range masterBrokers(t) {
		got := resetOffsetByTime(t, addr, topic, group, at)
		if len(got) != 2 {
			t.Fatalf("reset on %s: offsets %v, want one per queue (2)", name, got)
		}
		for q, off := range got {
			if want := beforeT[name][q]; off != want {
				t.Errorf("reset on %s queue %d: offset %d, want %d (messages stored before T)", name, q, off, want)
			}
		}
	}

	again.waitDistinct(t, 50, 90*time.Second)
	took := time.Since(resetAt)
	time.Sleep(2 * time.Second) // let duplicates and anything from before T show up
	checkExactlyOnce(t, msgs[50:], again)
	if n := first.total(); n != len(msgs) {
		t.Errorf("%d deliveries before the reset, want %d", n, len(msgs))
	}
	t.Logf("all 50 messages re-delivered %v after the reset", took.Round(time.Millisecond))
}
