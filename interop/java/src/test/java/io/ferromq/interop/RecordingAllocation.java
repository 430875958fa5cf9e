package io.ferromq.interop;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.rocketmq.client.consumer.AllocateMessageQueueStrategy;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueAveragely;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * Java's default rebalance strategy (averagely), recording the latest result per topic so a test can wait
 * until a group's rebalance has settled (the server's GET_CONSUMER_LIST_BY_GROUP answer is what it uses).
 */
final class RecordingAllocation implements AllocateMessageQueueStrategy {
    private final AllocateMessageQueueAveragely inner = new AllocateMessageQueueAveragely();
    private final ConcurrentMap<String, List<MessageQueue>> lastByTopic = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Integer> lastGroupSize = new ConcurrentHashMap<>();

    @Override
    public List<MessageQueue> allocate(String group, String currentCid, List<MessageQueue> mqAll, List<String> cidAll) {
        List<MessageQueue> mine = inner.allocate(group, currentCid, mqAll, cidAll);
        if (!mqAll.isEmpty()) {
            String topic = mqAll.get(0).getTopic();
            lastByTopic.put(topic, List.copyOf(mine));
            lastGroupSize.put(topic, cidAll.size());
        }
        return mine;
    }

    @Override
    public String getName() {
        return inner.getName();
    }

    /** Queues of {@code topic} this consumer got last time ({@code null} before the first rebalance). */
    Set<MessageQueue> queues(String topic) {
        List<MessageQueue> l = lastByTopic.get(topic);
        return l == null ? null : new TreeSet<>(l);
    }

    /** Number of consumers the server reported at the last rebalance of {@code topic}. */
    int groupSize(String topic) {
        return lastGroupSize.getOrDefault(topic, 0);
    }

    /**
     * True when every strategy saw {@code members} consumers and their allocations partition {@code all}.
     */
    static boolean settled(String topic, Set<MessageQueue> all, List<RecordingAllocation> members) {
        Set<MessageQueue> union = new TreeSet<>();
        int total = 0;
        for (RecordingAllocation a : members) {
            Set<MessageQueue> q = a.queues(topic);
            if (q == null || a.groupSize(topic) != members.size()) {
                return false;
            }
            union.addAll(q);
            total += q.size();
        }
        return total == all.size() && union.equals(all);
    }
}
