package io.ferromq.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.common.message.MessageExt;

/** Thread-safe record of what a consumer received, keyed by the {@code idx} user property. */
final class Received {
    private final String runId;
    private final Map<Integer, List<MessageExt>> byIndex = new ConcurrentHashMap<>();
    private final AtomicInteger deliveries = new AtomicInteger();
    private final List<MessageExt> foreign = new CopyOnWriteArrayList<>();

    Received(String runId) {
        this.runId = runId;
    }

    /** Records one delivery; messages of another run (or without idx) are kept apart. */
    void add(MessageExt m) {
        String idx = m.getUserProperty(Bodies.INDEX);
        if (idx == null || !runId.equals(m.getUserProperty("run"))) {
            foreign.add(m);
            return;
        }
        deliveries.incrementAndGet();
        byIndex.computeIfAbsent(Integer.parseInt(idx), k -> new CopyOnWriteArrayList<>()).add(m);
    }

    void addAll(Collection<MessageExt> ms) {
        ms.forEach(this::add);
    }

    /** A concurrently-consuming listener that records and acknowledges everything. */
    MessageListenerConcurrently listener() {
        return (msgs, ctx) -> {
            addAll(msgs);
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        };
    }

    int distinct() {
        return byIndex.size();
    }

    int deliveries() {
        return deliveries.get();
    }

    Set<Integer> indexes() {
        return new TreeSet<>(byIndex.keySet());
    }

    List<MessageExt> get(int idx) {
        return byIndex.getOrDefault(idx, List.of());
    }

    List<MessageExt> foreign() {
        return foreign;
    }

    String summary() {
        return "distinct=" + distinct() + " deliveries=" + deliveries() + " foreign=" + foreign.size();
    }

    /** Waits until {@code n} distinct indexes have arrived. */
    void awaitDistinct(int n, Duration timeout) {
        Await.until(n + " distinct messages", timeout, () -> distinct() >= n, this::summary);
    }

    /**
     * Asserts exactly the indexes {@code expected} arrived, each exactly once when {@code exactlyOnce},
     * and every body equals {@link Bodies#body} byte for byte.
     */
    void assertExactly(Collection<Integer> expected, boolean exactlyOnce) {
        assertEquals(new TreeSet<>(expected), indexes(), "set of received indexes");
        assertTrue(foreign.isEmpty(), "unexpected messages: " + foreign);
        List<Integer> dup = new ArrayList<>();
        for (int i : expected) {
            List<MessageExt> got = get(i);
            if (got.size() > 1) {
                dup.add(i);
            }
            for (MessageExt m : got) {
                assertNotNull(m.getBody(), "body of " + i);
                assertArrayEquals(Bodies.body(runId, i), m.getBody(), "body of message " + i);
            }
        }
        if (exactlyOnce) {
            assertTrue(dup.isEmpty(), "delivered more than once: " + dup);
        }
    }

    static List<Integer> range(int from, int to) {
        List<Integer> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add(i);
        }
        return out;
    }
}
