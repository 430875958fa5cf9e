package io.ferromq.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Issue 6: ordered consumption (MessageQueueSelector + MessageListenerOrderly, LOCK/UNLOCK_BATCH_MQ 41/42). */
@Tag("features")
class OrderlyConsumeTest extends InteropTestBase {
    static final int KEYS = 8;
    static final int PER_KEY = 125; // 1,000 messages
    static final Duration WAIT = Duration.ofSeconds(120);

    /** Everything every consumer received, in the order the listeners ran. */
    private final List<int[]> log = new ArrayList<>(); // {key, seq}
    private final AtomicInteger consumed = new AtomicInteger();
    /** Deliveries per consumer (0, 1 = the first two, 2 = the one that joins). */
    private final AtomicInteger[] perConsumer = {new AtomicInteger(), new AtomicInteger(), new AtomicInteger()};
    /** Deliveries per consumer after the third joined / after the second left. */
    private final AtomicInteger[] afterJoin = {new AtomicInteger(), new AtomicInteger(), new AtomicInteger()};
    private volatile boolean joined;
    private String run;

    private synchronized void record(int key, int seq) {
        log.add(new int[] {key, seq});
    }

    private DefaultMQPushConsumer consumer(int id, String group, String topic) throws Exception {
        DefaultMQPushConsumer c = clients.pushConsumer(group);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerOrderly) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                if (!run.equals(m.getUserProperty("run"))) {
                    continue;
                }
                int idx = Integer.parseInt(m.getUserProperty(Bodies.INDEX));
                assertArrayEquals(Bodies.body(run, idx), m.getBody());
                record(Integer.parseInt(m.getUserProperty("key")), Integer.parseInt(m.getUserProperty("seq")));
                consumed.incrementAndGet();
                perConsumer[id].incrementAndGet();
                if (joined) {
                    afterJoin[id].incrementAndGet();
                }
                Await.sleep(8); // slow enough that the rebalances happen while messages are queued
            }
            return ConsumeOrderlyStatus.SUCCESS;
        });
        c.start();
        return c;
    }

    private void send(DefaultMQProducer p, String topic, int fromSeq, int toSeq) throws Exception {
        for (int seq = fromSeq; seq < toSeq; seq++) {
            for (int key = 0; key < KEYS; key++) {
                int idx = key * PER_KEY + seq;
                Message m = Bodies.message(topic, run, idx, "TagOrder");
                m.putUserProperty("key", Integer.toString(key));
                m.putUserProperty("seq", Integer.toString(seq));
                SendResult r = p.send(m, (mqs, msg, arg) -> mqs.get((Integer) arg % mqs.size()), key);
                assertEquals(SendStatus.SEND_OK, r.getSendStatus());
            }
        }
    }

    /**
     * Pins ordered consumption across rebalances: messages of one key go to one queue (selector), two
     * orderly consumers share the queues, a third joins mid-stream and one of the first two leaves later;
     * for every key the consumed sequence never skips ahead (each message is consumed only after all earlier
     * messages of its key), and every message is consumed. RocketMQ allows a message to be consumed again
     * after a queue moves to another consumer (at-least-once); such replays must restart at or before the
     * committed point and run in order again, which the no-skip rule also checks.
     */
    @Test
    void perKeyOrderSurvivesRebalance() throws Exception {
        String topic = Env.unique("OrderTopic");
        String group = Env.unique("OrderG");
        run = Env.unique("run");
        Cluster.createTopic(admin, topic, 4);
        DefaultMQProducer p = clients.producer(Env.unique("PG"));
        consumer(0, group, topic);
        DefaultMQPushConsumer second = consumer(1, group, topic);

        send(p, topic, 0, PER_KEY / 2);
        Await.until("a quarter consumed", WAIT, () -> consumed.get() >= KEYS * PER_KEY / 4, consumed::toString);
        joined = true;
        consumer(2, group, topic); // third consumer joins: queues move
        send(p, topic, PER_KEY / 2, PER_KEY);
        Await.until("three quarters consumed", WAIT, () -> consumed.get() >= KEYS * PER_KEY * 3 / 4,
            consumed::toString);
        second.shutdown(); // one leaves: its queues move again
        Await.until("every message consumed", WAIT, () -> distinctConsumed() == KEYS * PER_KEY,
            () -> "distinct " + distinctConsumed() + ", deliveries " + consumed.get());

        Map<Integer, Integer> contiguous = new HashMap<>();
        int replays = 0;
        synchronized (this) {
            for (int[] e : log) {
                int upTo = contiguous.getOrDefault(e[0], -1);
                assertTrue(e[1] <= upTo + 1, "key " + e[0] + ": seq " + e[1] + " consumed before seq " + (upTo + 1));
                if (e[1] == upTo + 1) {
                    contiguous.put(e[0], e[1]);
                } else {
                    replays++;
                }
            }
        }
        for (int key = 0; key < KEYS; key++) {
            assertEquals(PER_KEY - 1, contiguous.get(key), "all of key " + key);
        }
        assertTrue(perConsumer[2].get() > 0, "the joining consumer took over queues: " + counts());
        System.out.println("orderly: " + log.size() + " deliveries, " + replays + " replayed after rebalance, "
            + counts());
    }

    private String counts() {
        return "per consumer " + perConsumer[0] + "/" + perConsumer[1] + "/" + perConsumer[2] + ", after join "
            + afterJoin[0] + "/" + afterJoin[1] + "/" + afterJoin[2];
    }

    private synchronized int distinctConsumed() {
        Set<Long> s = new TreeSet<>();
        for (int[] e : log) {
            s.add(((long) e[0] << 32) | e[1]);
        }
        return s.size();
    }
}
