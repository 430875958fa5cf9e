package interop

import (
	"context"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

// Multi-broker (issue 4): two brokers of one cluster, each registered with both NameServers of
// FERROMQ_NAMESRV. Skipped unless FERROMQ_MULTI=1.

// Pins: both NameServers know both brokers of the cluster (each broker registers with every
// NameServer in its namesrvAddr list); a topic created on both brokers has one queueData and one
// brokerData per broker in the route from either NameServer; the Go client's publish queues span
// both brokers.
func TestMultiBrokerRoute(t *testing.T) {
	requireMulti(t)
	masters := masterBrokers(t)
	topic := uniqueName("mroute")
	brokers := createTopic(t, topic, 4)
	if len(brokers) < 2 {
		t.Fatalf("topic created on %v only", brokers)
	}
	for _, ns := range cfg.namesrv {
		ci, err := fetchClusterInfo(ns)
		if err != nil {
			t.Fatal(err)
		}
		clusters := map[string]bool{}
		for _, b := range brokers {
			bd, ok := ci.BrokerAddrTable[b]
			if !ok || bd.BrokerAddrs["0"] != masters[b] {
				t.Errorf("%s: broker %s missing or at another address: %+v", ns, b, bd)
			}
			clusters[bd.Cluster] = true
		}
		if len(clusters) != 1 {
			t.Errorf("%s: brokers in clusters %v, want one cluster", ns, sortedKeys(clusters))
		}
		mqs, err := newAdmin(t, ns).FetchPublishMessageQueues(context.Background(), topic)
		if err != nil {
			t.Fatalf("%s: %v", ns, err)
		}
		per := map[string]int{}
		for _, mq := range mqs {
			per[mq.BrokerName]++
		}
		for _, b := range brokers {
			if per[b] != 4 {
				t.Errorf("%s: %d publish queues on %s, want 4 (all: %v)", ns, per[b], b, per)
			}
		}
	}
}

// Pins: round-robin sends over a topic spread across two brokers reach both brokers (half each);
// two clustering consumers of one group, whose queues come from both brokers, receive every
// message exactly once between them, from both brokers.
func TestMultiBrokerSendAndConsume(t *testing.T) {
	requireMulti(t)
	topic := uniqueName("mbulk")
	brokers := createTopic(t, topic, 4)
	p := newProducer(t)
	group := uniqueName("g")
	c := newCollector()
	startPushConsumer(t, group, topic, all, c.handler("c1"))
	startPushConsumer(t, group, topic, all, c.handler("c2"))
	waitBalanced(t, p, topic, 4*len(brokers), c, "c1", "c2")
	c.forgetProbes()

	msgs := newMessages(topic, "mbulk", bulk, nil)
	results := sendAllSync(t, p, msgs)
	sentTo := map[string]int{}
	for _, r := range results {
		sentTo[r.MessageQueue.BrokerName]++
	}
	for _, b := range brokers {
		if sentTo[b] < bulk/4 {
			t.Errorf("only %d of %d sends reached broker %s (%v)", sentTo[b], bulk, b, sentTo)
		}
	}
	c.waitDistinct(t, bulk, 60*time.Second)
	checkExactlyOnce(t, msgs, c)
	from := map[string]int{}
	for _, d := range c.snapshot() {
		from[d.msg.Queue.BrokerName]++
	}
	for _, b := range brokers {
		if from[b] != sentTo[b] {
			t.Errorf("consumed %d from %s, sent %d there", from[b], b, sentTo[b])
		}
	}
}

// Pins: a producer that knows only the second NameServer and a consumer that knows only the
// first see the same topic (both NameServers hold the full route).
func TestMultiNameServerIndependence(t *testing.T) {
	requireMulti(t)
	topic := uniqueName("mns")
	createTopic(t, topic, 2)
	p := newProducer(t, producer.WithNsResolver(primitive.NewPassthroughResolver(cfg.namesrv[1:2])))
	c := newCollector()
	startPushConsumer(t, uniqueName("g"), topic, all, c.handler("c"),
		consumer.WithNsResolver(primitive.NewPassthroughResolver(cfg.namesrv[0:1])))
	msgs := newMessages(topic, "mns", 200, nil)
	sendAllSync(t, p, msgs)
	c.waitDistinct(t, len(msgs), 60*time.Second)
	checkExactlyOnce(t, msgs, c)
}
