package io.ferromq.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.MixAll;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageDecoder;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageId;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.remoting.protocol.route.BrokerData;
import org.apache.rocketmq.remoting.protocol.route.TopicRouteData;
import org.junit.jupiter.api.Test;

/** Issue 4: the producer side (SEND_MESSAGE_V2 310, SEND_BATCH_MESSAGE 320, auto-create from TBW102). */
class ProducerTest extends InteropTestBase {
    static final int N = 1000;
    static final Duration READ_BACK = Duration.ofSeconds(60);

    /** Broker name -> master address, from the route. */
    private static Map<String, String> brokerAddrs(TopicRouteData route) {
        Map<String, String> out = new HashMap<>();
        for (BrokerData bd : route.getBrokerDatas()) {
            out.put(bd.getBrokerName(), bd.getBrokerAddrs().get(MixAll.MASTER_ID));
        }
        return out;
    }

    /**
     * Pins sync send (SEND_MESSAGE_V2): every result is SEND_OK with a unique msgId (the client's
     * UNIQ_KEY), an offsetMsgId that decodes to the storing broker's advertised address, and queue offsets
     * that on a fresh topic are exactly 0..k-1 per queue. Reading back returns the same bodies byte for
     * byte at the same queue/offset, with msgId equal to the send's msgId.
     */
    @Test
    void syncSend() throws Exception {
        String topic = Env.unique("SyncTopic");
        String run = Env.unique("run");
        TopicRouteData route = Cluster.createTopic(admin, topic, 4);
        Map<String, String> addrs = brokerAddrs(route);
        DefaultMQProducer producer = clients.producer(Env.unique("PG"));
        Map<Integer, SendResult> results = new HashMap<>();
        Map<MessageQueue, List<Long>> offsets = new HashMap<>();
        for (int i = 0; i < N; i++) {
            SendResult r = producer.send(Bodies.message(topic, run, i, "TagSync"));
            assertEquals(SendStatus.SEND_OK, r.getSendStatus(), "send " + i);
            results.put(i, r);
            offsets.computeIfAbsent(r.getMessageQueue(), k -> new ArrayList<>()).add(r.getQueueOffset());
        }
        Set<String> ids = new HashSet<>();
        for (SendResult r : results.values()) {
            assertNotNull(r.getMsgId());
            assertTrue(ids.add(r.getMsgId()), "duplicate msgId " + r.getMsgId());
            MessageId id = MessageDecoder.decodeMessageId(r.getOffsetMsgId());
            InetSocketAddress a = (InetSocketAddress) id.getAddress();
            String expected = addrs.get(r.getMessageQueue().getBrokerName());
            assertEquals(expected, a.getAddress().getHostAddress() + ":" + a.getPort(), "offsetMsgId address");
        }
        for (Map.Entry<MessageQueue, List<Long>> e : offsets.entrySet()) {
            List<Long> got = e.getValue();
            for (int k = 0; k < got.size(); k++) {
                assertEquals(k, got.get(k), "queue offsets of " + e.getKey() + " must be 0,1,2,...");
            }
        }
        Received back = Drain.topic(clients, topic, run, N, READ_BACK);
        back.assertExactly(Received.range(0, N), true);
        for (int i = 0; i < N; i++) {
            MessageExt m = back.get(i).get(0);
            SendResult r = results.get(i);
            assertEquals(r.getMsgId(), m.getMsgId(), "msgId of " + i);
            assertEquals(r.getMessageQueue().getQueueId(), m.getQueueId(), "queueId of " + i);
            assertEquals(r.getQueueOffset(), m.getQueueOffset(), "queueOffset of " + i);
            assertEquals("TagSync", m.getTags());
        }
    }

    /**
     * Pins async send: every callback reports SEND_OK; all 1,000 bodies read back byte for byte. At most 64
     * sends are in flight, as applications throttle them: a flood of 1,000 lets a busy Java broker answer
     * SYSTEM_BUSY ([TIMEOUT_CLEAN_QUEUE], request queued > 200 ms), which async sends do not retry.
     */
    @Test
    void asyncSend() throws Exception {
        String topic = Env.unique("AsyncTopic");
        String run = Env.unique("run");
        Cluster.createTopic(admin, topic, 4);
        DefaultMQProducer producer = clients.producer(Env.unique("PG"));
        CountDownLatch done = new CountDownLatch(N);
        Semaphore inFlight = new Semaphore(64);
        Map<Integer, Object> outcome = new ConcurrentHashMap<>();
        for (int i = 0; i < N; i++) {
            final int idx = i;
            inFlight.acquire();
            producer.send(Bodies.message(topic, run, i, null), new SendCallback() {
                @Override
                public void onSuccess(SendResult r) {
                    outcome.put(idx, r.getSendStatus());
                    inFlight.release();
                    done.countDown();
                }

                @Override
                public void onException(Throwable e) {
                    outcome.put(idx, e);
                    inFlight.release();
                    done.countDown();
                }
            });
        }
        assertTrue(done.await(60, TimeUnit.SECONDS), "all callbacks within 60 s");
        for (int i = 0; i < N; i++) {
            assertEquals(SendStatus.SEND_OK, outcome.get(i), "async send " + i);
        }
        Drain.topic(clients, topic, run, N, READ_BACK).assertExactly(Received.range(0, N), true);
    }

    /**
     * Pins oneway send (flag 2, no response expected): all 1,000 messages are stored and read back intact.
     * Oneway sends are fire-and-forget (a busy broker may drop them), so the test sends 100 at a time and
     * waits until the topic stats show them stored before sending more.
     */
    @Test
    void onewaySend() throws Exception {
        String topic = Env.unique("OnewayTopic");
        String run = Env.unique("run");
        Cluster.createTopic(admin, topic, 4);
        DefaultMQProducer producer = clients.producer(Env.unique("PG"));
        for (int i = 0; i < N; i++) {
            producer.sendOneway(Bodies.message(topic, run, i, null));
            if (i % 100 == 99) {
                final long stored = i + 1;
                Await.until(stored + " oneway messages stored", Duration.ofSeconds(30), () -> {
                    try {
                        return admin.examineTopicStats(topic).getOffsetTable().values().stream()
                            .mapToLong(o -> o.getMaxOffset()).sum() >= stored;
                    } catch (Exception e) {
                        return false;
                    }
                });
            }
        }
        Drain.topic(clients, topic, run, N, READ_BACK).assertExactly(Received.range(0, N), true);
    }

    /**
     * Pins SEND_BATCH_MESSAGE: a batch of 100 is SEND_OK, lands in ONE queue at consecutive offsets starting
     * at the result's queueOffset, in batch order. Not pinned: the consumed msgId of batch members (Java 5.3.3
     * appends the batch's own UNIQ_KEY to every member, so Java consumers see the batch id for all of them).
     */
    @Test
    void batchSend() throws Exception {
        String topic = Env.unique("BatchTopic");
        String run = Env.unique("run");
        Cluster.createTopic(admin, topic, 4);
        DefaultMQProducer producer = clients.producer(Env.unique("PG"));
        int batch = 100;
        Map<Integer, SendResult> firstOfBatch = new HashMap<>();
        for (int from = 0; from < N; from += batch) {
            List<Message> msgs = Bodies.messages(topic, run, from, from + batch, "TagBatch");
            SendResult r = producer.send(msgs);
            assertEquals(SendStatus.SEND_OK, r.getSendStatus(), "batch from " + from);
            assertEquals(batch, r.getMsgId().split(",").length, "one msgId per member: " + r.getMsgId());
            firstOfBatch.put(from, r);
        }
        Received back = Drain.topic(clients, topic, run, N, READ_BACK);
        back.assertExactly(Received.range(0, N), true);
        for (Map.Entry<Integer, SendResult> e : firstOfBatch.entrySet()) {
            SendResult r = e.getValue();
            for (int k = 0; k < batch; k++) {
                MessageExt m = back.get(e.getKey() + k).get(0);
                assertEquals(r.getMessageQueue().getQueueId(), m.getQueueId(), "member " + k + " same queue");
                assertEquals(r.getMessageQueue().getBrokerName(), m.getBrokerName(), "member " + k + " same broker");
                assertEquals(r.getQueueOffset() + k, m.getQueueOffset(), "member " + k + " offset");
                assertEquals("TagBatch", m.getTags());
            }
        }
    }

    /**
     * Pins auto-create (autoCreateTopicEnable=true): the first send to an unknown topic finds no route
     * (17), falls back to TBW102, is SEND_OK, and the NameServer then routes the new topic with the
     * producer's defaultTopicQueueNums (4) write queues; the message reads back intact.
     */
    @Test
    void autoCreateOnSend() throws Exception {
        String topic = Env.unique("AutoTopic");
        String run = Env.unique("run");
        DefaultMQProducer producer = clients.producer(Env.unique("PG"));
        SendResult r = producer.send(Bodies.message(topic, run, 0, null));
        assertEquals(SendStatus.SEND_OK, r.getSendStatus());
        assertEquals(topic, r.getMessageQueue().getTopic());
        TopicRouteData route = Cluster.awaitRoute(admin, topic, 1);
        assertEquals(producer.getDefaultTopicQueueNums(), route.getQueueDatas().get(0).getWriteQueueNums());
        for (int i = 1; i < 10; i++) {
            assertEquals(SendStatus.SEND_OK, producer.send(Bodies.message(topic, run, i, null)).getSendStatus());
        }
        Drain.topic(clients, topic, run, 10, READ_BACK).assertExactly(Received.range(0, 10), true);
    }

    /**
     * Pins the round trip of everything a message carries: tags, several keys (space separated in KEYS),
     * user properties (unicode, spaces, '=' and ':' in values), the user flag, born timestamp, and the broker
     * adding the cluster name (CLUSTER) while storing it; reconsumeTimes 0; store host = the broker address.
     */
    @Test
    void propertiesRoundTrip() throws Exception {
        String topic = Env.unique("PropTopic");
        String run = Env.unique("run");
        TopicRouteData route = Cluster.createTopic(admin, topic, 2);
        String cluster = Cluster.name(admin);
        DefaultMQProducer producer = clients.producer(Env.unique("PG"));
        Message m = Bodies.message(topic, run, 0, "TagProps");
        m.setKeys(List.of("alpha", "beta-" + run));
        m.setFlag(42);
        Map<String, String> user = new HashMap<>();
        user.put("plain", "v1");
        user.put("unicode", "héllo wörld ✓ 日本");
        user.put("spaces", "a b  c");
        user.put("symbols", "x=1;y:2,z/3");
        user.forEach(m::putUserProperty);
        long before = System.currentTimeMillis();
        SendResult r = producer.send(m);
        long after = System.currentTimeMillis();
        assertEquals(SendStatus.SEND_OK, r.getSendStatus());

        MessageExt got = Drain.topic(clients, topic, run, 1, READ_BACK).get(0).get(0);
        assertEquals("TagProps", got.getTags());
        assertEquals("alpha beta-" + run, got.getKeys());
        assertEquals(42, got.getFlag());
        user.forEach((k, v) -> assertEquals(v, got.getUserProperty(k), "user property " + k));
        assertEquals(cluster, got.getProperty("CLUSTER"), "broker stamps its cluster name");
        assertEquals(0, got.getReconsumeTimes());
        assertEquals(topic, got.getTopic());
        assertEquals(r.getMsgId(), got.getMsgId());
        assertTrue(got.getBornTimestamp() >= before && got.getBornTimestamp() <= after, "born timestamp");
        assertTrue(got.getStoreTimestamp() > 0, "store timestamp");
        InetSocketAddress store = (InetSocketAddress) got.getStoreHost();
        assertEquals(brokerAddrs(route).get(r.getMessageQueue().getBrokerName()),
            store.getAddress().getHostAddress() + ":" + store.getPort(), "store host");
    }
}
