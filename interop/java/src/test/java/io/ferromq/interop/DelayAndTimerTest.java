package io.ferromq.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageExt;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 6: delay levels (SCHEDULE_TOPIC_XXXX) and 5.x timer messages. Expected delays come from
 * FERROMQ_DELAY_LEVELS (the server's messageDelayLevel).
 */
@Tag("features")
class DelayAndTimerTest extends InteropTestBase {
    /** Allowed lateness of a delivery after its due time, as issue 6 requires. */
    static final long LATE_MS = 1000;

    /** One delivery: the message and when this JVM got it. */
    record Delivery(MessageExt msg, long receivedAt) {
    }

    private Map<Integer, Delivery> consume(String topic, String run) throws Exception {
        Map<Integer, Delivery> got = new ConcurrentHashMap<>();
        DefaultMQPushConsumer c = clients.pushConsumer(Env.unique("DG"));
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            long now = System.currentTimeMillis();
            for (MessageExt m : msgs) {
                if (run.equals(m.getUserProperty("run"))) {
                    got.putIfAbsent(Integer.parseInt(m.getUserProperty(Bodies.INDEX)), new Delivery(m, now));
                }
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        return got;
    }

    /**
     * Pins delay levels 1..3: a message sent with delayTimeLevel L is stored again in its real topic (same
     * msgId, body, reconsumeTimes 0, DELAY property still L) with a store time no earlier than born + delay(L)
     * and at most 1 s after it; the consumer gets it no earlier than delay(L) after the send.
     */
    @Test
    void delayLevels() throws Exception {
        String topic = Env.unique("DelayTopic");
        String run = Env.unique("run");
        Cluster.createTopic(admin, topic, 2);
        Map<Integer, Delivery> got = consume(topic, run);
        DefaultMQProducer p = clients.producer(Env.unique("PG"));
        Map<Integer, Integer> levelOf = new HashMap<>();
        Map<Integer, Long> sentAt = new HashMap<>();
        Map<Integer, SendResult> results = new HashMap<>();
        int i = 0;
        for (int level = 1; level <= 3; level++) {
            for (int k = 0; k < 3; k++, i++) {
                Message m = Bodies.message(topic, run, i, "TagDelay");
                m.setDelayTimeLevel(level);
                sentAt.put(i, System.currentTimeMillis());
                SendResult r = p.send(m);
                assertEquals(SendStatus.SEND_OK, r.getSendStatus());
                levelOf.put(i, level);
                results.put(i, r);
            }
        }
        long maxDelay = Env.delayLevel(3).toMillis();
        Await.until("all 9 delayed messages", Duration.ofMillis(maxDelay + 30_000), () -> got.size() == 9,
            () -> "got " + got.keySet());
        for (Map.Entry<Integer, Delivery> e : got.entrySet()) {
            int idx = e.getKey();
            MessageExt m = e.getValue().msg();
            long delay = Env.delayLevel(levelOf.get(idx)).toMillis();
            long dueBy = m.getBornTimestamp() + delay;
            assertTrue(m.getStoreTimestamp() >= dueBy, "message " + idx + " (level " + levelOf.get(idx)
                + ") stored " + (dueBy - m.getStoreTimestamp()) + " ms before due");
            assertTrue(m.getStoreTimestamp() <= dueBy + LATE_MS, "message " + idx + " stored "
                + (m.getStoreTimestamp() - dueBy) + " ms after due");
            assertTrue(e.getValue().receivedAt() - sentAt.get(idx) >= delay - 5, "received before due");
            assertEquals(topic, m.getTopic());
            assertEquals(results.get(idx).getMsgId(), m.getMsgId());
            assertEquals(0, m.getReconsumeTimes());
            // Java 5.3.3 keeps DELAY (and REAL_TOPIC/REAL_QID) in the delivered message: it serialises the
            // properties before clearing DELAY, so consumers still see getDelayTimeLevel() == L
            assertEquals(String.valueOf(levelOf.get(idx)), m.getProperty(MessageConst.PROPERTY_DELAY_TIME_LEVEL),
                "DELAY property of the delivered message");
            assertArrayEquals(Bodies.body(run, idx), m.getBody());
        }
    }

    private void timer(long delayMs, boolean absolute) throws Exception {
        String topic = Env.unique("TimerTopic");
        String run = Env.unique("run");
        Cluster.createTopic(admin, topic, 2);
        Map<Integer, Delivery> got = consume(topic, run);
        DefaultMQProducer p = clients.producer(Env.unique("PG"));
        Message m = Bodies.message(topic, run, 0, "TagTimer");
        long sent = System.currentTimeMillis();
        if (absolute) {
            m.setDeliverTimeMs(sent + delayMs);
        } else {
            m.setDelayTimeMs(delayMs);
        }
        SendResult r = p.send(m);
        assertEquals(SendStatus.SEND_OK, r.getSendStatus());
        if (delayMs >= 30_000) {
            // Long enough to look at it waiting: GET_BROKER_RUNTIME_INFO counts it (timerCongestNum) as
            // `mqadmin brokerStatus` shows it.
            String addr = Cluster.firstMasterAddr(admin);
            Map<String, String> kv = Await.value("timerCongestNum counting the waiting message",
                Duration.ofSeconds(10), () -> {
                    Map<String, String> t = admin.fetchBrokerRuntimeStats(addr).getTable();
                    return Long.parseLong(t.get("timerCongestNum")) >= 1 ? t : null;
                });
            for (String k : List.of("timerReadBehind", "timerOffsetBehind", "timerEnqueueTps", "timerDequeueTps")) {
                assertNotNull(kv.get(k), k + " in the runtime info");
                Double.parseDouble(kv.get(k)); // numeric, as Java reports it
            }
            assertTrue(!got.containsKey(0), "delivered " + (System.currentTimeMillis() - sent) + " ms after sending");
        }
        Await.until("the timer message", Duration.ofMillis(delayMs + 20_000), () -> got.containsKey(0));
        Delivery d = got.get(0);
        long due = sent + delayMs;
        assertTrue(d.receivedAt() >= due - TIMER_PRECISION_MS, "delivered " + (due - d.receivedAt())
            + " ms before due");
        assertTrue(d.receivedAt() <= due + LATE_MS + CONSUMER_SLACK_MS, "delivered " + (d.receivedAt() - due)
            + " ms after due");
        assertEquals(r.getMsgId(), d.msg().getMsgId());
        assertEquals(topic, d.msg().getTopic());
        assertArrayEquals(Bodies.body(run, 0), d.msg().getBody());
    }

    /** Lateness the push consumer itself may add (pull wake-up and dispatch to the listener thread). */
    static final long CONSUMER_SLACK_MS = 500;
    /**
     * How early a timer message may come: Java's timing wheel has 1 s slots (timerPrecisionMs 1000) and
     * delivers a whole slot when it starts.
     */
    static final long TIMER_PRECISION_MS = 1000;

    /**
     * Pins timer messages (TIMER_DELAY_MS and TIMER_DELIVER_MS properties): a 3 s timer message arrives
     * 3 s after sending, within the wheel's 1 s precision early and 1 s late, with its msgId and body.
     */
    @Test
    void timerMessage3s() throws Exception {
        timer(3000, false);
        timer(3000, true);
    }

    /** Pins a 65 s timer message (longer than a minute: beyond the first wheel round). FERROMQ_SLOW=1 only. */
    @Test
    void timerMessage65s() throws Exception {
        assumeTrue(Env.slow(), "set FERROMQ_SLOW=1 to run the 65 s timer test");
        timer(65_000, false);
    }
}
