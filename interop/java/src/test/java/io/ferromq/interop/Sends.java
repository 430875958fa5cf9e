package io.ferromq.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.MessageQueue;

/** Sends that remember where each message went, for tests that check per-queue offsets. */
final class Sends {
    private Sends() {
    }

    /**
     * Sends messages {@code from} (inclusive) to {@code to} (exclusive) of run {@code run} synchronously, each
     * asserted SEND_OK; returns how many went to each queue.
     */
    static Map<MessageQueue, Long> countingPerQueue(DefaultMQProducer p, String topic, String run, int from, int to)
        throws Exception {
        Map<MessageQueue, Long> perQueue = new HashMap<>();
        for (int i = from; i < to; i++) {
            SendResult r = p.send(Bodies.message(topic, run, i, null));
            assertEquals(SendStatus.SEND_OK, r.getSendStatus());
            perQueue.merge(r.getMessageQueue(), 1L, Long::sum);
        }
        return perQueue;
    }
}
