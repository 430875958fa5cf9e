package io.ferromq.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.MQVersion;
import org.apache.rocketmq.common.MixAll;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.remoting.protocol.LanguageCode;
import org.apache.rocketmq.remoting.protocol.admin.ConsumeStats;
import org.apache.rocketmq.remoting.protocol.admin.OffsetWrapper;
import org.apache.rocketmq.remoting.protocol.admin.TopicOffset;
import org.apache.rocketmq.remoting.protocol.admin.TopicStatsTable;
import org.apache.rocketmq.remoting.protocol.body.Connection;
import org.apache.rocketmq.remoting.protocol.body.ConsumerConnection;
import org.apache.rocketmq.remoting.protocol.body.KVTable;
import org.apache.rocketmq.remoting.protocol.body.ProducerConnection;
import org.apache.rocketmq.remoting.protocol.heartbeat.ConsumeType;
import org.apache.rocketmq.remoting.protocol.heartbeat.MessageModel;
import org.apache.rocketmq.remoting.protocol.heartbeat.SubscriptionData;
import org.apache.rocketmq.remoting.protocol.route.BrokerData;
import org.apache.rocketmq.remoting.protocol.subscription.SubscriptionGroupConfig;
import org.junit.jupiter.api.Test;

/** Issue 4: the broker admin requests mqadmin and the dashboard use. */
class BrokerAdminTest extends InteropTestBase {
    static final Duration WAIT = Duration.ofSeconds(30);

    private DefaultMQPushConsumer startConsumer(String group, String topic, String expr, Received into)
        throws Exception {
        DefaultMQPushConsumer c = clients.pushConsumer(group);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.setPersistConsumerOffsetInterval(1000);
        c.subscribe(topic, expr);
        c.registerMessageListener(into.listener());
        c.start();
        return c;
    }

    /**
     * Pins GET_TOPIC_STATS_INFO: per queue minOffset 0, maxOffset = number of messages sent to it, and a
     * last-update timestamp no older than the first send.
     */
    @Test
    void topicStats() throws Exception {
        String topic = Env.unique("StatsTopic");
        String run = Env.unique("run");
        Cluster.createTopic(admin, topic, 4);
        long start = System.currentTimeMillis();
        Map<MessageQueue, Long> sent = Sends.countingPerQueue(clients.producer(Env.unique("PG")), topic, run, 0, 200);
        // The ConsumeQueue is built from the CommitLog asynchronously (as Java's reput service does), so the
        // last send may be acknowledged a moment before its queue offset shows in the stats.
        long total = sent.values().stream().mapToLong(Long::longValue).sum();
        TopicStatsTable stats = Await.value("topic stats counting all " + total + " messages", Duration.ofSeconds(5),
            () -> {
                TopicStatsTable s = admin.examineTopicStats(topic);
                long max = s.getOffsetTable().values().stream().mapToLong(TopicOffset::getMaxOffset).sum();
                return max == total ? s : null;
            });
        assertEquals(4 * Cluster.masters(admin).size(), stats.getOffsetTable().size(), "one entry per queue");
        for (Map.Entry<MessageQueue, TopicOffset> e : stats.getOffsetTable().entrySet()) {
            long n = sent.getOrDefault(e.getKey(), 0L);
            assertEquals(0, e.getValue().getMinOffset(), "minOffset of " + e.getKey());
            assertEquals(n, e.getValue().getMaxOffset(), "maxOffset of " + e.getKey());
            if (n > 0) {
                assertTrue(e.getValue().getLastUpdateTimestamp() >= start - 1000,
                    "lastUpdateTimestamp of " + e.getKey());
            }
        }
    }

    /**
     * Pins GET_CONSUME_STATS (consumer lag): once a consumer has consumed everything and shut down (which
     * commits its offsets) the lag (brokerOffset - consumerOffset, summed) is 0; 150 new messages then show
     * as lag 150
     * and per queue brokerOffset = queue max offset. The admin finds the brokers through the route of
     * %RETRY%group, so the server must create and route that topic when the consumer registers.
     */
    @Test
    void consumeStatsShowLag() throws Exception {
        String topic = Env.unique("LagTopic");
        String group = Env.unique("LagG");
        String run = Env.unique("run");
        Cluster.createTopic(admin, topic, 4);
        DefaultMQProducer producer = clients.producer(Env.unique("PG"));
        Sends.countingPerQueue(producer, topic, run, 0, 200);
        Received got = new Received(run);
        DefaultMQPushConsumer c = startConsumer(group, topic, "*", got);
        got.awaitDistinct(200, WAIT);
        // shutdown() persists the offsets at once (the periodic persist first runs 10 s after start)
        c.shutdown();
        Await.value("lag 0 after consuming", WAIT, () -> {
            ConsumeStats s = admin.examineConsumeStats(group);
            return s.computeTotalDiff() == 0 && !s.getOffsetTable().isEmpty() ? s : null;
        });
        Sends.countingPerQueue(producer, topic, run, 200, 350);
        ConsumeStats s = Await.value("lag 150", WAIT, () -> {
            ConsumeStats x = admin.examineConsumeStats(group);
            return x.computeTotalDiff() == 150 ? x : null;
        });
        TopicStatsTable ts = admin.examineTopicStats(topic);
        for (Map.Entry<MessageQueue, OffsetWrapper> e : s.getOffsetTable().entrySet()) {
            if (e.getKey().getTopic().equals(topic)) {
                assertEquals(ts.getOffsetTable().get(e.getKey()).getMaxOffset(), e.getValue().getBrokerOffset(),
                    "brokerOffset of " + e.getKey());
            }
        }
    }

    /**
     * Pins GET_CONSUMER_CONNECTION_LIST: the live consumer is listed with its client id, language JAVA and
     * the client's version; the group's subscriptions (the topic with "TagA || TagB" and the automatic
     * %RETRY%group subscription), CONSUME_PASSIVELY, CLUSTERING and CONSUME_FROM_FIRST_OFFSET as sent in
     * its heartbeat.
     */
    @Test
    void consumerConnectionInfo() throws Exception {
        String topic = Env.unique("ConnTopic");
        String group = Env.unique("ConnG");
        Cluster.createTopic(admin, topic, 2);
        DefaultMQPushConsumer c = startConsumer(group, topic, "TagA || TagB", new Received("x"));
        ConsumerConnection cc = Await.value("consumer connection listed", WAIT, () -> {
            ConsumerConnection x = admin.examineConsumerConnectionInfo(group);
            return x.getConnectionSet().isEmpty() ? null : x;
        });
        assertEquals(1, cc.getConnectionSet().size());
        Connection conn = cc.getConnectionSet().iterator().next();
        assertEquals(c.buildMQClientId(), conn.getClientId());
        assertEquals(LanguageCode.JAVA, conn.getLanguage());
        assertEquals(MQVersion.CURRENT_VERSION, conn.getVersion());
        assertNotNull(conn.getClientAddr());
        assertEquals(ConsumeType.CONSUME_PASSIVELY, cc.getConsumeType());
        assertEquals(MessageModel.CLUSTERING, cc.getMessageModel());
        assertEquals(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET, cc.getConsumeFromWhere());
        SubscriptionData sd = cc.getSubscriptionTable().get(topic);
        assertNotNull(sd, "subscription of " + topic + " in " + cc.getSubscriptionTable().keySet());
        assertEquals("TagA || TagB", sd.getSubString());
        assertEquals(Set.of("TagA", "TagB"), sd.getTagsSet());
        assertTrue(cc.getSubscriptionTable().containsKey(MixAll.getRetryTopic(group)), "retry subscription");
    }

    /** Pins GET_PRODUCER_CONNECTION_LIST: a producer that sent to the topic is listed (client id, JAVA, version). */
    @Test
    void producerConnectionInfo() throws Exception {
        String topic = Env.unique("PConnTopic");
        String group = Env.unique("PConnG");
        Cluster.createTopic(admin, topic, 2);
        DefaultMQProducer p = clients.producer(group);
        p.send(Bodies.message(topic, "x", 0, null));
        ProducerConnection pc = Await.value("producer connection listed", WAIT, () -> {
            ProducerConnection x = admin.examineProducerConnectionInfo(group, topic);
            return x.getConnectionSet().isEmpty() ? null : x;
        });
        Connection conn = pc.getConnectionSet().iterator().next();
        assertEquals(p.buildMQClientId(), conn.getClientId());
        assertEquals(LanguageCode.JAVA, conn.getLanguage());
        assertEquals(MQVersion.CURRENT_VERSION, conn.getVersion());
    }

    /**
     * Pins GET_BROKER_RUNTIME_INFO: a KV table with the broker's version and put/get counters; the sum of
     * msgPutTotalTodayNow over the masters grows by at least the number of messages sent.
     */
    @Test
    void brokerRuntimeStats() throws Exception {
        String topic = Env.unique("RtTopic");
        Cluster.createTopic(admin, topic, 1);
        List<String> addrs = new ArrayList<>();
        for (BrokerData bd : Cluster.masters(admin)) {
            addrs.add(bd.getBrokerAddrs().get(MixAll.MASTER_ID));
        }
        long put0 = 0;
        for (String addr : addrs) {
            KVTable t = admin.fetchBrokerRuntimeStats(addr);
            for (String key : new String[] {"brokerVersionDesc", "brokerVersion", "msgPutTotalTodayNow",
                "msgGetTotalTodayNow", "bootTimestamp"}) {
                assertNotNull(t.getTable().get(key), key + " in " + new TreeMap<>(t.getTable()).keySet());
            }
            put0 += Long.parseLong(t.getTable().get("msgPutTotalTodayNow"));
        }
        DefaultMQProducer p = clients.producer(Env.unique("PG"));
        for (int i = 0; i < 20; i++) {
            p.send(Bodies.message(topic, "x", i, null));
        }
        final long before = put0;
        Await.until("msgPutTotalTodayNow grows by 20", WAIT, () -> {
            try {
                long sum = 0;
                for (String addr : addrs) {
                    sum += Long.parseLong(admin.fetchBrokerRuntimeStats(addr).getTable().get("msgPutTotalTodayNow"));
                }
                return sum >= before + 20;
            } catch (Exception e) {
                return false;
            }
        });
    }

    /**
     * Pins GET_BROKER_CONFIG: the broker's configuration as properties with RocketMQ's key names - its name,
     * cluster, listenPort and brokerIP1 matching the address it advertises.
     */
    @Test
    void brokerConfig() throws Exception {
        for (BrokerData bd : Cluster.masters(admin)) {
            String addr = bd.getBrokerAddrs().get(MixAll.MASTER_ID);
            Properties p = admin.getBrokerConfig(addr);
            assertEquals(bd.getBrokerName(), p.getProperty("brokerName"));
            assertEquals(bd.getCluster(), p.getProperty("brokerClusterName"));
            assertEquals(addr.substring(addr.lastIndexOf(':') + 1), p.getProperty("listenPort"));
            assertEquals(addr.substring(0, addr.lastIndexOf(':')), p.getProperty("brokerIP1"));
            assertNotNull(p.getProperty("autoCreateTopicEnable"));
            assertNotNull(p.getProperty("storePathRootDir"));
        }
    }

    /**
     * Pins UPDATE_AND_CREATE_SUBSCRIPTIONGROUP + GET_SUBSCRIPTIONGROUP_CONFIG: a group created with custom
     * retryMaxTimes / retryQueueNums / broadcast flag reads back with those values on every master.
     */
    @Test
    void createSubscriptionGroup() throws Exception {
        String group = Env.unique("SubG");
        for (BrokerData bd : Cluster.masters(admin)) {
            String addr = bd.getBrokerAddrs().get(MixAll.MASTER_ID);
            SubscriptionGroupConfig cfg = new SubscriptionGroupConfig();
            cfg.setGroupName(group);
            cfg.setRetryMaxTimes(5);
            cfg.setRetryQueueNums(1);
            cfg.setConsumeBroadcastEnable(false);
            cfg.setConsumeEnable(true);
            admin.createAndUpdateSubscriptionGroupConfig(addr, cfg);
            SubscriptionGroupConfig back = admin.examineSubscriptionGroupConfig(addr, group);
            assertEquals(group, back.getGroupName());
            assertEquals(5, back.getRetryMaxTimes());
            assertEquals(1, back.getRetryQueueNums());
            assertEquals(false, back.isConsumeBroadcastEnable());
            assertEquals(true, back.isConsumeEnable());
        }
    }

    /**
     * Pins INVOKE_BROKER_TO_RESET_OFFSET by timestamp with the group offline (Java 5.x default
     * useServerSideResetOffset=true: the broker sets the committed offsets itself): messages stored after T
     * are consumed again by a restarted consumer, none stored before T; the returned offsets are per queue
     * the first offset stored at or after T.
     */
    @Test
    void resetOffsetByTimestamp() throws Exception {
        String topic = Env.unique("ResetTopic");
        String group = Env.unique("ResetG");
        String run = Env.unique("run");
        Cluster.createTopic(admin, topic, 2);
        DefaultMQProducer producer = clients.producer(Env.unique("PG"));
        Map<MessageQueue, Long> phaseA = Sends.countingPerQueue(producer, topic, run, 0, 100);
        Await.sleep(200);
        long t = System.currentTimeMillis();
        Await.sleep(200);
        Sends.countingPerQueue(producer, topic, run, 100, 200);
        Received first = new Received(run);
        DefaultMQPushConsumer c = startConsumer(group, topic, "*", first);
        first.awaitDistinct(200, WAIT);
        c.shutdown();
        Await.value("everything committed", WAIT, () -> {
            ConsumeStats s = admin.examineConsumeStats(group);
            return s.computeTotalDiff() == 0 && !s.getOffsetTable().isEmpty() ? s : null;
        });

        Map<MessageQueue, Long> reset = admin.resetOffsetByTimestamp(topic, group, t, true);
        assertEquals(2 * Cluster.masters(admin).size(), reset.size(), "one offset per queue: " + reset);
        for (Map.Entry<MessageQueue, Long> e : reset.entrySet()) {
            assertEquals(phaseA.getOrDefault(e.getKey(), 0L), e.getValue(), "reset offset of " + e.getKey());
        }
        Received again = new Received(run);
        startConsumer(group, topic, "*", again);
        again.awaitDistinct(100, WAIT);
        Await.sleep(500);
        again.assertExactly(Received.range(100, 200), true);
    }
}
