package interop

import (
	"context"
	"errors"
	"net"
	"sort"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	rmqerrors "github.com/apache/rocketmq-client-go/v2/errors"
)

// Issue 2 — NameServer: cluster info and topic routes as the Go client reads them.

// Pins: GET_BROKER_CLUSTER_INFO (106) answers every NameServer with a body whose
// clusterAddrTable lists each registered broker name under its cluster and whose brokerAddrTable
// maps the broker name to {cluster, brokerName, brokerAddrs{0: reachable master address}}; every
// NameServer of the list reports the same brokers (brokers register with all of them).
func TestClusterInfo(t *testing.T) {
	var first map[string]string
	for _, ns := range cfg.namesrv {
		ci, err := fetchClusterInfo(ns)
		if err != nil {
			t.Fatalf("cluster info from %s: %v", ns, err)
		}
		masters := map[string]string{}
		for name, bd := range ci.BrokerAddrTable {
			if bd.BrokerName != name {
				t.Errorf("%s: brokerAddrTable[%q].brokerName = %q", ns, name, bd.BrokerName)
			}
			listed := false
			for _, b := range ci.ClusterAddrTable[bd.Cluster] {
				listed = listed || b == name
			}
			if !listed {
				t.Errorf("%s: broker %q of cluster %q missing from clusterAddrTable %v", ns, name, bd.Cluster, ci.ClusterAddrTable)
			}
			addr := bd.BrokerAddrs["0"]
			if addr == "" {
				t.Errorf("%s: broker %q has no master (id 0) address: %v", ns, name, bd.BrokerAddrs)
				continue
			}
			masters[name] = addr
			conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
			if err != nil {
				t.Errorf("%s: advertised broker address %s of %q is not reachable: %v", ns, addr, name, err)
			} else {
				conn.Close()
			}
		}
		if len(masters) == 0 {
			t.Fatalf("%s: no broker registered", ns)
		}
		if cfg.multi && len(masters) < 2 {
			t.Errorf("%s: FERROMQ_MULTI=1 but only brokers %v", ns, masters)
		}
		if first == nil {
			first = masters
		} else if len(first) != len(masters) {
			t.Errorf("NameServers disagree: %s has %v, %s has %v", cfg.namesrv[0], first, ns, masters)
		}
	}
}

// Pins: after UPDATE_AND_CREATE_TOPIC (17) on every broker, GET_ROUTEINFO_BY_TOPIC (105) answers
// with queueDatas (readQueueNums/writeQueueNums/perm as created, perm 6 = read|write) and
// brokerDatas (cluster, brokerName, brokerAddrs) for every broker; the Go admin API derives the
// publish queues (ids 0..n-1 per broker) and the cluster list from it; the topic shows in
// GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206).
func TestRouteOfCreatedTopic(t *testing.T) {
	topic := uniqueName("route")
	brokers := createTopic(t, topic, 3)
	masters := masterBrokers(t)
	ci, err := fetchClusterInfo(cfg.namesrv[0])
	if err != nil {
		t.Fatal(err)
	}

	for _, ns := range cfg.namesrv {
		a := newAdmin(t, ns)
		mqs, err := a.FetchPublishMessageQueues(context.Background(), topic)
		if err != nil {
			t.Fatalf("%s: FetchPublishMessageQueues: %v", ns, err)
		}
		perBroker := map[string][]int{}
		for _, mq := range mqs {
			if mq.Topic != topic {
				t.Errorf("queue of topic %q in route of %q", mq.Topic, topic)
			}
			perBroker[mq.BrokerName] = append(perBroker[mq.BrokerName], mq.QueueId)
		}
		if len(perBroker) != len(brokers) {
			t.Errorf("%s: publish queues on brokers %v, want %v", ns, sortedKeys(perBroker), brokers)
		}
		for b, ids := range perBroker {
			sort.Ints(ids)
			if len(ids) != 3 || ids[0] != 0 || ids[2] != 2 {
				t.Errorf("%s: broker %s queue ids %v, want [0 1 2]", ns, b, ids)
			}
		}

		clusters, err := a.FetchClusterList(topic)
		if err != nil {
			t.Fatalf("%s: FetchClusterList: %v", ns, err)
		}
		wantClusters := map[string]bool{}
		for _, b := range brokers {
			wantClusters[ci.BrokerAddrTable[b].Cluster] = true
		}
		if len(clusters) != len(wantClusters) || !wantClusters[clusters[0]] {
			t.Errorf("%s: FetchClusterList = %v, want %v", ns, clusters, sortedKeys(wantClusters))
		}

		list, err := a.FetchAllTopicList(context.Background())
		if err != nil {
			t.Fatalf("%s: FetchAllTopicList: %v", ns, err)
		}
		found := false
		for _, tp := range list.TopicList {
			found = found || tp == topic
		}
		if !found {
			t.Errorf("%s: FetchAllTopicList (%d topics) lacks %s", ns, len(list.TopicList), topic)
		}

		r, _, err := fetchRouteWire(ns, topic)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range r.QueueDatas {
			if q.ReadQueueNums != 3 || q.WriteQueueNums != 3 || q.Perm != 6 {
				t.Errorf("%s: queueData %+v, want 3/3 queues, perm 6", ns, q)
			}
		}
		for _, bd := range r.BrokerDatas {
			if bd.BrokerAddrs["0"] != masters[bd.BrokerName] || bd.Cluster == "" {
				t.Errorf("%s: brokerData %+v, want master %s", ns, bd, masters[bd.BrokerName])
			}
		}
	}
}

// Pins: for a topic nobody created, the NameServer answers TOPIC_NOT_EXIST (17); the Go client
// turns that into errors.ErrTopicNotExist, and a push consumer refuses to start on it.
func TestRouteOfUnknownTopic(t *testing.T) {
	topic := uniqueName("nosuch")
	for _, ns := range cfg.namesrv {
		if _, code, err := fetchRouteWire(ns, topic); code != codeTopicNotExist {
			t.Errorf("%s: route of unknown topic: code %d (%v), want 17", ns, code, err)
		}
		a := newAdmin(t, ns)
		if _, err := a.FetchClusterList(topic); !errors.Is(err, rmqerrors.ErrTopicNotExist) {
			t.Errorf("%s: FetchClusterList(unknown) = %v, want ErrTopicNotExist", ns, err)
		}
		if _, err := a.FetchPublishMessageQueues(context.Background(), topic); !errors.Is(err, rmqerrors.ErrTopicNotExist) {
			t.Errorf("%s: FetchPublishMessageQueues(unknown) = %v, want ErrTopicNotExist", ns, err)
		}
	}
	c, err := rocketmq.NewPushConsumer(
		consumer.WithNsResolver(resolver()),
		consumer.WithGroupName(uniqueName("g")),
		consumer.WithInstance(uniqueName("ci")),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown()
	if err := c.Subscribe(topic, all, newCollector().handler("x")); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err == nil {
		t.Errorf("push consumer started on a topic without route")
	}
}

// Pins: DELETE_TOPIC_IN_BROKER (215) and DELETE_TOPIC_IN_NAMESRV (216) as the Go admin API sends
// them remove the topic: the route query answers TOPIC_NOT_EXIST afterwards.
func TestDeleteTopic(t *testing.T) {
	topic := uniqueName("del")
	brokers := createTopic(t, topic, 2)
	masters := masterBrokers(t)
	a := newAdmin(t)
	for _, b := range brokers {
		err := a.DeleteTopic(context.Background(),
			admin.WithTopicDelete(topic),
			admin.WithBrokerAddrDelete(masters[b]),
			admin.WithNameSrvAddr(cfg.namesrv))
		if err != nil {
			t.Fatalf("DeleteTopic on %s: %v", b, err)
		}
	}
	for _, ns := range cfg.namesrv {
		waitFor(t, 10*time.Second, "route of deleted topic to disappear from "+ns, func() bool {
			_, code, _ := fetchRouteWire(ns, topic)
			return code == codeTopicNotExist
		})
	}
}
