package io.ferromq.interop;

import java.time.Duration;
import java.util.Collection;
import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageQueue;

/** Reads a topic back from offset 0 of every queue with a lite pull consumer in assign mode. */
final class Drain {
    private Drain() {
    }

    /**
     * Pulls every queue of {@code topic} from offset 0 until {@code expected} distinct messages of run
     * {@code runId} arrived (or {@code timeout}); the pull consumer is shut down afterwards.
     */
    static Received topic(Clients clients, String topic, String runId, int expected, Duration timeout)
        throws Exception {
        Received got = new Received(runId);
        DefaultLitePullConsumer c = clients.litePullConsumer(Env.unique("drain"));
        // a new group starts at offset 0 of every queue; seeking right after assign() races with the
        // pull tasks assign() starts (the Java client may then hand out a batch twice)
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.setAutoCommit(false);
        c.start();
        try {
            Collection<MessageQueue> mqs = c.fetchMessageQueues(topic);
            c.assign(mqs);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (got.distinct() < expected && System.nanoTime() < deadline) {
                got.addAll(c.poll(200));
            }
        } finally {
            c.shutdown();
        }
        return got;
    }
}
