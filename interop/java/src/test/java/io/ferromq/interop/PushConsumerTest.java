package io.ferromq.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.remoting.protocol.admin.ConsumeStats;
import org.apache.rocketmq.remoting.protocol.admin.OffsetWrapper;
import org.apache.rocketmq.remoting.protocol.body.ConsumerConnection;
import org.apache.rocketmq.remoting.protocol.heartbeat.MessageModel;
import org.apache.rocketmq.remoting.protocol.heartbeat.SubscriptionData;
import org.apache.rocketmq.remoting.protocol.route.TopicRouteData;
import org.junit.jupiter.api.Test;

/**
 * Issue 4: DefaultMQPushConsumer (HEART_BEAT 34, GET_CONSUMER_LIST_BY_GROUP 38, QUERY_CONSUMER_OFFSET 14,
 * PULL_MESSAGE 11 with long polling, UPDATE_CONSUMER_OFFSET 15 oneway, NOTIFY_CONSUMER_IDS_CHANGED 40).
 */
class PushConsumerTest extends InteropTestBase {
    static final int N = 1000;
    static final Duration SETTLE = Duration.ofSeconds(30);
    static final Duration CONSUME = Duration.ofSeconds(60);

    static Set<MessageQueue> queues(TopicRouteData route, String topic) {
        Set<MessageQueue> all = new TreeSet<>();
        route.getQueueDatas().forEach(qd -> {
            for (int i = 0; i < qd.getReadQueueNums(); i++) {
                all.add(new MessageQueue(topic, qd.getBrokerName(), i));
            }
        });
        return all;
    }

    private DefaultMQPushConsumer consumer(String group, String topic, String expr, MessageModel model,
        RecordingAllocation alloc, Received into) throws Exception {
        DefaultMQPushConsumer c = clients.pushConsumer(group);
        c.setMessageModel(model);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.setPersistConsumerOffsetInterval(1000);
        if (alloc != null) {
            c.setAllocateMessageQueueStrategy(alloc);
        }
        c.subscribe(topic, expr);
        c.registerMessageListener(into.listener());
        c.start();
        return c;
    }

    private void sendAll(DefaultMQProducer p, String topic, String run, int from, int to, String tags)
        throws Exception {
        for (int i = from; i < to; i++) {
            assertEquals(SendStatus.SEND_OK, p.send(Bodies.message(topic, run, i, tags)).getSendStatus());
        }
    }

    /**
     * Pins CLUSTERING: two consumers of one group split the queues (both see 2 members in
     * GET_CONSUMER_LIST_BY_GROUP and allocate disjoint halves); every one of 1,000 messages is consumed
     * exactly once across them, each by the consumer owning its queue, bodies intact.
     */
    @Test
    void clusteringSharesQueuesExactlyOnce() throws Exception {
        String topic = Env.unique("ClusterTopic");
        String group = Env.unique("CG");
        String run = Env.unique("run");
        Set<MessageQueue> all = queues(Cluster.createTopic(admin, topic, 4), topic);
        RecordingAllocation a1 = new RecordingAllocation();
        RecordingAllocation a2 = new RecordingAllocation();
        Received r1 = new Received(run);
        Received r2 = new Received(run);
        consumer(group, topic, "*", MessageModel.CLUSTERING, a1, r1);
        consumer(group, topic, "*", MessageModel.CLUSTERING, a2, r2);
        Await.until("both consumers own disjoint halves", SETTLE,
            () -> RecordingAllocation.settled(topic, all, List.of(a1, a2)),
            () -> a1.queues(topic) + " / " + a2.queues(topic));
        sendAll(clients.producer(Env.unique("PG")), topic, run, 0, N, null);
        Await.until("1000 messages across both consumers", CONSUME, () -> r1.distinct() + r2.distinct() >= N,
            () -> r1.summary() + " | " + r2.summary());
        Await.sleep(500); // a duplicate would show up right behind
        Received merged = new Received(run);
        for (int i = 0; i < N; i++) {
            merged.addAll(r1.get(i));
            merged.addAll(r2.get(i));
        }
        merged.assertExactly(Received.range(0, N), true);
        assertTrue(r1.distinct() > 0 && r2.distinct() > 0, "both consumers got messages: " + r1.summary()
            + " | " + r2.summary());
        for (int i : r1.indexes()) {
            MessageExt m = r1.get(i).get(0);
            assertTrue(a1.queues(topic).contains(new MessageQueue(topic, m.getBrokerName(), m.getQueueId())));
        }
    }

    /** Pins BROADCASTING: each of two consumers of one group receives every one of 1,000 messages once. */
    @Test
    void broadcastingEveryConsumerGetsAll() throws Exception {
        String topic = Env.unique("BcastTopic");
        String group = Env.unique("BG");
        String run = Env.unique("run");
        Cluster.createTopic(admin, topic, 4);
        Received r1 = new Received(run);
        Received r2 = new Received(run);
        // broadcasting consumers take every queue (no allocation strategy, no group member list) and,
        // with no local offset yet, start at offset 0: no need to wait before sending
        consumer(group, topic, "*", MessageModel.BROADCASTING, null, r1);
        consumer(group, topic, "*", MessageModel.BROADCASTING, null, r2);
        sendAll(clients.producer(Env.unique("PG")), topic, run, 0, N, null);
        r1.awaitDistinct(N, CONSUME);
        r2.awaitDistinct(N, CONSUME);
        Await.sleep(300);
        r1.assertExactly(Received.range(0, N), true);
        r2.assertExactly(Received.range(0, N), true);
    }

    /**
     * Pins resume-from-committed-offset: a consumer that consumed 500 messages and shut down cleanly has
     * committed them (GET_CONSUME_STATS shows consumer offset = broker offset on every queue); a new consumer
     * of the same group gets exactly the 500 sent afterwards. RocketMQ is at-least-once: only messages at or
     * after a queue's committed offset may be delivered again, and after a clean shutdown that means none of
     * the first 500 - the test tolerates no redelivery below the committed offsets.
     */
    @Test
    void restartResumesFromCommittedOffset() throws Exception {
        String topic = Env.unique("ResumeTopic");
        String group = Env.unique("RG");
        String run = Env.unique("run");
        Cluster.createTopic(admin, topic, 4);
        DefaultMQProducer producer = clients.producer(Env.unique("PG"));
        sendAll(producer, topic, run, 0, N / 2, null);
        Received first = new Received(run);
        DefaultMQPushConsumer c1 = consumer(group, topic, "*", MessageModel.CLUSTERING, null, first);
        first.awaitDistinct(N / 2, CONSUME);
        c1.shutdown();
        ConsumeStats stats = Await.value("committed offsets = broker offsets", SETTLE, () -> {
            ConsumeStats s = admin.examineConsumeStats(group);
            return s.computeTotalDiff() == 0 && totalConsumed(s, topic) == N / 2 ? s : null;
        });
        Map<MessageQueue, OffsetWrapper> committed = stats.getOffsetTable();

        sendAll(producer, topic, run, N / 2, N, null);
        Received second = new Received(run);
        consumer(group, topic, "*", MessageModel.CLUSTERING, null, second);
        second.awaitDistinct(N / 2, CONSUME);
        Await.sleep(500);
        for (int i : second.indexes()) {
            for (MessageExt m : second.get(i)) {
                OffsetWrapper w = committed.get(new MessageQueue(topic, m.getBrokerName(), m.getQueueId()));
                assertTrue(w != null && m.getQueueOffset() >= w.getConsumerOffset(),
                    "message " + i + " at offset " + m.getQueueOffset() + " is below the committed offset " + w);
            }
        }
        second.assertExactly(Received.range(N / 2, N), true);
    }

    private static long totalConsumed(ConsumeStats s, String topic) {
        long sum = 0;
        for (Map.Entry<MessageQueue, OffsetWrapper> e : s.getOffsetTable().entrySet()) {
            if (e.getKey().getTopic().equals(topic)) {
                sum += e.getValue().getConsumerOffset();
            }
        }
        return sum;
    }

    /**
     * Pins tag filtering: a subscription "TagA || TagB" receives exactly the TagA and TagB messages of a
     * stream mixing TagA, TagB, TagC, TagD and untagged messages (broker filters by tag hash code, client by
     * tag string), each once, bodies intact.
     */
    @Test
    void tagSubscriptionDeliversOnlyThoseTags() throws Exception {
        String topic = Env.unique("TagTopic");
        String group = Env.unique("TG");
        String run = Env.unique("run");
        Cluster.createTopic(admin, topic, 4);
        String[] tags = {"TagA", "TagB", "TagC", "TagD", null};
        DefaultMQProducer producer = clients.producer(Env.unique("PG"));
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            String tag = tags[i % tags.length];
            assertEquals(SendStatus.SEND_OK, producer.send(Bodies.message(topic, run, i, tag)).getSendStatus());
            if ("TagA".equals(tag) || "TagB".equals(tag)) {
                expected.add(i);
            }
        }
        Received got = new Received(run);
        consumer(group, topic, "TagA || TagB", MessageModel.CLUSTERING, null, got);
        got.awaitDistinct(expected.size(), CONSUME);
        Await.during("no other tag arriving", Duration.ofSeconds(1), () -> got.distinct() == expected.size(),
            got::summary);
        got.assertExactly(expected, true);
        Set<String> seenTags = new HashSet<>();
        for (int i : got.indexes()) {
            seenTags.add(got.get(i).get(0).getTags());
        }
        assertEquals(Set.of("TagA", "TagB"), seenTags);
        assertFalse(expected.isEmpty());
    }

    /**
     * Pins HEART_BEAT with the 5.x V2 protocol ({@code useHeartbeatV2}): the broker answers
     * {@code IS_SUPPORT_HEART_BEAT_V2}, so after the first full heartbeat the client sends only its
     * fingerprint without subscriptions (every second here). Those heartbeats keep the subscription the
     * broker filters pulls with: TagA messages sent before and after several of them are delivered, exactly
     * once, TagB ones never, and the consumer's connection still lists the TagA subscription.
     */
    @Test
    void heartbeatV2KeepsTheSubscription() throws Exception {
        String topic = Env.unique("HbV2Topic");
        String group = Env.unique("HbV2G");
        String run = Env.unique("run");
        Cluster.createTopic(admin, topic, 2);
        Received got = new Received(run);
        DefaultMQPushConsumer c = clients.pushConsumer(group);
        c.setUseHeartbeatV2(true);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, "TagA");
        c.registerMessageListener(got.listener());
        c.start();
        DefaultMQProducer producer = clients.producer(Env.unique("PG"));
        List<Integer> expected = new ArrayList<>();
        expected.addAll(sendTagAAndTagB(producer, topic, run, 0, 40));
        got.awaitDistinct(20, CONSUME);
        Await.sleep(4000); // several fingerprint-only heartbeats
        ConsumerConnection cc = admin.examineConsumerConnectionInfo(group);
        assertEquals(1, cc.getConnectionSet().size(), "connections of " + group);
        SubscriptionData sd = cc.getSubscriptionTable().get(topic);
        assertNotNull(sd, "subscription of " + topic + " after V2 heartbeats: " + cc.getSubscriptionTable().keySet());
        assertEquals("TagA", sd.getSubString());
        expected.addAll(sendTagAAndTagB(producer, topic, run, 40, 80));
        got.awaitDistinct(expected.size(), CONSUME);
        Await.during("no TagB arriving", Duration.ofSeconds(1), () -> got.distinct() == expected.size(), got::summary);
        got.assertExactly(expected, true);
    }

    /** Sends messages {@code from}..{@code to}, TagA for even indexes and TagB for odd; returns the TagA ones. */
    private static List<Integer> sendTagAAndTagB(DefaultMQProducer p, String topic, String run, int from, int to)
        throws Exception {
        List<Integer> tagA = new ArrayList<>();
        for (int i = from; i < to; i++) {
            String tag = i % 2 == 0 ? "TagA" : "TagB";
            assertEquals(SendStatus.SEND_OK, p.send(Bodies.message(topic, run, i, tag)).getSendStatus());
            if (i % 2 == 0) {
                tagA.add(i);
            }
        }
        return tagA;
    }
}
