package io.ferromq.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.remoting.protocol.admin.ConsumeStats;
import org.apache.rocketmq.remoting.protocol.admin.OffsetWrapper;
import org.junit.jupiter.api.Test;

/** Issue 4: DefaultLitePullConsumer (PULL_MESSAGE without suspend, GET_MIN/MAX_OFFSET 31/30, offsets). */
class LitePullConsumerTest extends InteropTestBase {
    static final int N = 1000;
    static final Duration CONSUME = Duration.ofSeconds(60);

    private static void sendAll(DefaultMQProducer p, String topic, String run) throws Exception {
        for (int i = 0; i < N; i++) {
            assertEquals(SendStatus.SEND_OK, p.send(Bodies.message(topic, run, i, null)).getSendStatus());
        }
    }

    /**
     * Pins subscribe mode: a new group with CONSUME_FROM_FIRST_OFFSET polls all 1,000 messages exactly once;
     * after commit(assigned queues, persist) the broker's consumer offsets equal the queue max offsets (GET_CONSUME_STATS lag 0).
     */
    @Test
    void subscribeMode() throws Exception {
        String topic = Env.unique("LiteSubTopic");
        String group = Env.unique("LG");
        String run = Env.unique("run");
        Cluster.createTopic(admin, topic, 4);
        sendAll(clients.producer(Env.unique("PG")), topic, run);
        DefaultLitePullConsumer c = clients.litePullConsumer(group);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.setAutoCommit(false);
        c.subscribe(topic, "*");
        c.start();
        Received got = new Received(run);
        long deadline = System.nanoTime() + CONSUME.toNanos();
        while (got.distinct() < N && System.nanoTime() < deadline) {
            got.addAll(c.poll(200));
        }
        got.assertExactly(Received.range(0, N), true);
        // commit(queues, persist=true) sends the offsets now (oneway UPDATE_CONSUMER_OFFSET); commitSync()
        // only updates the in-memory store, persisted by a task that first runs 10 s after client start
        c.commit(c.assignment(), true);
        Await.value("committed offsets of the lite pull group", Duration.ofSeconds(20), () -> {
            ConsumeStats s = admin.examineConsumeStats(group);
            long consumed = 0;
            for (Map.Entry<MessageQueue, OffsetWrapper> e : s.getOffsetTable().entrySet()) {
                if (e.getKey().getTopic().equals(topic)) {
                    consumed += e.getValue().getConsumerOffset();
                }
            }
            return consumed == N && s.computeTotalDiff() == 0 ? s : null;
        });
    }

    /**
     * Pins assign mode: a new group assigned every queue starts at offset 0 (CONSUME_FROM_FIRST_OFFSET,
     * QUERY_CONSUMER_OFFSET finds nothing) and polls all 1,000 messages exactly once; seekToBegin
     * (GET_MIN_OFFSET) then replays all 1,000 once more.
     */
    @Test
    void assignMode() throws Exception {
        String topic = Env.unique("LiteAssignTopic");
        String run = Env.unique("run");
        Cluster.createTopic(admin, topic, 4);
        sendAll(clients.producer(Env.unique("PG")), topic, run);
        DefaultLitePullConsumer c = clients.litePullConsumer(Env.unique("LA"));
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.setAutoCommit(false);
        c.start();
        Collection<MessageQueue> mqs = c.fetchMessageQueues(topic);
        assertEquals(4 * Cluster.masters(admin).size(), mqs.size(), "queues of the topic");
        c.assign(mqs);
        Received got = new Received(run);
        long deadline = System.nanoTime() + CONSUME.toNanos();
        while (got.distinct() < N && System.nanoTime() < deadline) {
            got.addAll(c.poll(200));
        }
        got.assertExactly(Received.range(0, N), true);

        for (MessageQueue mq : mqs) {
            c.seekToBegin(mq);
        }
        Received replay = new Received(run);
        deadline = System.nanoTime() + CONSUME.toNanos();
        while (replay.distinct() < N && System.nanoTime() < deadline) {
            replay.addAll(c.poll(200));
        }
        replay.assertExactly(Received.range(0, N), false);
    }
}
