package io.ferromq.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.MixAll;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.remoting.protocol.admin.TopicOffset;
import org.apache.rocketmq.remoting.protocol.admin.TopicStatsTable;
import org.apache.rocketmq.remoting.protocol.body.ClusterInfo;
import org.apache.rocketmq.remoting.protocol.route.BrokerData;
import org.apache.rocketmq.remoting.protocol.route.QueueData;
import org.apache.rocketmq.remoting.protocol.route.TopicRouteData;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 4, multi-broker: two brokers of one cluster, each registered with two NameServers
 * (FERROMQ_NAMESRV lists both). Run with -Pmulti.
 */
@Tag("multi")
class MultiBrokerTest extends InteropTestBase {
    static final int N = 1000;

    @BeforeEach
    void needsTwoOfEach() throws Exception {
        assertTrue(Env.namesrvList().size() >= 2, "FERROMQ_NAMESRV must list two NameServers, got " + Env.namesrv());
        assertTrue(Cluster.masters(admin).size() >= 2, "the cluster needs two master brokers");
    }

    /**
     * Pins multi-NameServer registration: every NameServer, asked on its own, lists both brokers under the
     * same cluster with the same addresses.
     */
    @Test
    void everyNameServerKnowsBothBrokers() throws Exception {
        Map<String, String> expected = null;
        String cluster = Cluster.name(admin);
        for (String ns : Env.namesrvList()) {
            try (Clients one = new Clients(ns)) {
                ClusterInfo ci = one.admin().examineBrokerClusterInfo();
                Set<String> names = ci.getClusterAddrTable().get(cluster);
                assertNotNull(names, ns + " knows cluster " + cluster);
                Map<String, String> addrs = new TreeMap<>();
                for (String n : names) {
                    addrs.put(n, ci.getBrokerAddrTable().get(n).getBrokerAddrs().get(MixAll.MASTER_ID));
                }
                assertTrue(addrs.size() >= 2, ns + " lists " + addrs);
                if (expected == null) {
                    expected = addrs;
                } else {
                    assertEquals(expected, addrs, "NameServers disagree");
                }
            }
        }
    }

    /**
     * Pins a topic spread over both brokers: created on each master, every NameServer routes it to both
     * (one QueueData and one BrokerData per broker, 4 queues each).
     */
    @Test
    void topicSpreadOverBothBrokers() throws Exception {
        String topic = Env.unique("MultiRouteTopic");
        List<BrokerData> masters = Cluster.masters(admin);
        Cluster.createTopic(admin, topic, 4);
        for (String ns : Env.namesrvList()) {
            try (Clients one = new Clients(ns)) {
                TopicRouteData r = Cluster.awaitRoute(one.admin(), topic, masters.size());
                Set<String> names = new TreeSet<>();
                for (QueueData qd : r.getQueueDatas()) {
                    assertEquals(4, qd.getWriteQueueNums());
                    names.add(qd.getBrokerName());
                }
                Set<String> bdNames = new TreeSet<>();
                r.getBrokerDatas().forEach(bd -> bdNames.add(bd.getBrokerName()));
                assertEquals(names, bdNames);
                assertEquals(masters.size(), names.size(), ns + " routes to every broker");
            }
        }
    }

    /**
     * Pins producing and consuming across brokers: 1,000 sends reach both brokers (round-robin over all 8
     * queues), topic stats per broker add up, and one push consumer receives all 1,000 exactly once with
     * intact bodies from both brokers.
     */
    @Test
    void producerReachesBothBrokersConsumerGetsAll() throws Exception {
        String topic = Env.unique("MultiTopic");
        String run = Env.unique("run");
        List<BrokerData> masters = Cluster.masters(admin);
        Cluster.createTopic(admin, topic, 4);
        DefaultMQProducer p = clients.producer(Env.unique("PG"));
        Map<String, Integer> perBroker = new HashMap<>();
        Map<MessageQueue, Long> perQueue = new HashMap<>();
        for (int i = 0; i < N; i++) {
            SendResult r = p.send(Bodies.message(topic, run, i, null));
            assertEquals(SendStatus.SEND_OK, r.getSendStatus());
            perBroker.merge(r.getMessageQueue().getBrokerName(), 1, Integer::sum);
            perQueue.merge(r.getMessageQueue(), 1L, Long::sum);
        }
        assertEquals(masters.size(), perBroker.size(), "sends reached every broker: " + perBroker);
        TopicStatsTable stats = admin.examineTopicStats(topic);
        for (Map.Entry<MessageQueue, TopicOffset> e : stats.getOffsetTable().entrySet()) {
            assertEquals(perQueue.getOrDefault(e.getKey(), 0L), e.getValue().getMaxOffset(), "max of " + e.getKey());
        }

        Received got = new Received(run);
        DefaultMQPushConsumer c = clients.pushConsumer(Env.unique("MG"));
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, "*");
        c.registerMessageListener(got.listener());
        c.start();
        got.awaitDistinct(N, Duration.ofSeconds(60));
        Await.sleep(300);
        got.assertExactly(Received.range(0, N), true);
        Set<String> from = new TreeSet<>();
        for (int i : got.indexes()) {
            MessageExt m = got.get(i).get(0);
            from.add(m.getBrokerName());
        }
        assertEquals(masters.size(), from.size(), "consumed from every broker: " + from);
    }
}
