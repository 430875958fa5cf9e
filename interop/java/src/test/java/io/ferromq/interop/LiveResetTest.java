package io.ferromq.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.remoting.protocol.admin.ConsumeStats;
import org.apache.rocketmq.remoting.protocol.admin.OffsetWrapper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 6, consumer management: reset offsets by time for a live group (the admin's
 * {@code resetOffsetByTimestamp(topic, group, t, true)}, what {@code mqadmin resetOffsetByTime} and the
 * dashboard use) while its push consumer keeps running.
 */
@Tag("features")
class LiveResetTest extends InteropTestBase {
    static final Duration WAIT = Duration.ofSeconds(30);
    /** Re-delivery after the reset: see the timing in {@link #resetByTimeMovesALiveConsumer()}. */
    static final Duration REDELIVERY = Duration.ofSeconds(60);

    /**
     * Pins INVOKE_BROKER_TO_RESET_OFFSET (222) by timestamp against a live group (Java 5.x default
     * useServerSideResetOffset=true). A push consumer has consumed 100 messages and committed them
     * (consume stats lag 0); T lies between the first 50 and the last 50 (200 ms gaps on both sides). The
     * reset answers, per queue, the first offset stored at or after T, and the group's committed offsets are
     * those right away. The consumer, still running and never restarted, then receives exactly the 50
     * messages stored at or after T again, each exactly once, and nothing stored before T.
     *
     * <p>Timing (Java client 5.3.3 against Apache RocketMQ 5.3.3): the broker keeps the reset for each
     * queue and answers that queue's next pull with PULL_OFFSET_MOVED (nextBeginOffset = the reset offset).
     * The consumer's current pull is a long poll the broker holds until a message arrives or its 15 s
     * suspend time runs out, so the next pull comes up to 15 s after the reset. The client then drops the
     * queue, stores and persists the new offset and rebalances immediately (at most one rebalance per
     * second), which re-adds the queue from that offset. Expect re-delivery 1-17 s after the reset; the test
     * allows 60 s and changes no client timing.
     */
    @Test
    void resetByTimeMovesALiveConsumer() throws Exception {
        String topic = Env.unique("LiveResetTopic");
        String group = Env.unique("LiveResetG");
        String run = Env.unique("run");
        Cluster.createTopic(admin, topic, 2);
        Received first = new Received(run);
        AtomicReference<Received> sink = new AtomicReference<>(first);
        DefaultMQPushConsumer c = clients.pushConsumer(group);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            sink.get().addAll(msgs);
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();

        DefaultMQProducer producer = clients.producer(Env.unique("PG"));
        Map<MessageQueue, Long> beforeT = Sends.countingPerQueue(producer, topic, run, 0, 50);
        Await.sleep(200);
        long t = System.currentTimeMillis();
        Await.sleep(200);
        Sends.countingPerQueue(producer, topic, run, 50, 100);
        first.awaitDistinct(100, WAIT);
        Await.value("the live group's offsets committed (lag 0)", WAIT, () -> {
            ConsumeStats s = admin.examineConsumeStats(group);
            return s.computeTotalDiff() == 0 && !s.getOffsetTable().isEmpty() ? s : null;
        });
        first.assertExactly(Received.range(0, 100), true);

        Received again = new Received(run);
        sink.set(again);
        long resetAt = System.currentTimeMillis();
        Map<MessageQueue, Long> reset = admin.resetOffsetByTimestamp(topic, group, t, true);
        assertEquals(2 * Cluster.masters(admin).size(), reset.size(), "one offset per queue: " + reset);
        for (Map.Entry<MessageQueue, Long> e : reset.entrySet()) {
            assertEquals(beforeT.getOrDefault(e.getKey(), 0L), e.getValue(), "reset offset of " + e.getKey());
        }
        ConsumeStats stats = admin.examineConsumeStats(group);
        for (Map.Entry<MessageQueue, OffsetWrapper> e : stats.getOffsetTable().entrySet()) {
            if (e.getKey().getTopic().equals(topic)) {
                assertEquals(reset.get(e.getKey()), e.getValue().getConsumerOffset(),
                    "committed offset of " + e.getKey() + " right after the reset");
            }
        }

        again.awaitDistinct(50, REDELIVERY);
        long took = System.currentTimeMillis() - resetAt;
        Await.sleep(2000); // let duplicates and anything from before T show up
        again.assertExactly(Received.range(50, 100), true);
        assertEquals(100, first.deliveries(), "deliveries before the reset");
        System.out.printf("live reset: all 50 messages re-delivered %d ms after the reset%n", took);
    }
}
