package io.ferromq.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.KeyBuilder;
import org.apache.rocketmq.common.MixAll;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageRequestMode;
import org.apache.rocketmq.remoting.protocol.admin.ConsumeStats;
import org.apache.rocketmq.remoting.protocol.admin.TopicStatsTable;
import org.apache.rocketmq.remoting.protocol.route.BrokerData;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * 5.x POP consumption over remoting: a {@code DefaultMQPushConsumer} with {@code clientRebalance=false} whose
 * group is switched to POP by {@code setMessageRequestMode} (mqadmin {@code setConsumeMode}) learns the mode
 * from QUERY_ASSIGNMENT and pops (200050) and acks (200051). Every message arrives with its body; the ones
 * the listener fails once (RECONSUME_LATER: the client changes their invisible time, 200053) come back
 * through the pop retry topic {@code %RETRY%group_topic} with reconsumeTimes 1.
 *
 * <p>JSON headers only: the ROCKETMQ header encoding writes the request code as a 16-bit short
 * ({@code RocketMQSerializable}), so POP_MESSAGE 200050 reaches any broker, Apache RocketMQ's included, as
 * 3442 and is answered REQUEST_CODE_NOT_SUPPORTED. Afterwards {@code examineConsumeStats} (mqadmin
 * {@code consumerProgress}) shows the group on every queue of the topic with no lag: POP moves the group's
 * offsets at pop time.
 */
@Tag("features")
class PopConsumeTest extends InteropTestBase {
    static final int MESSAGES = 1000;

    @Test
    void popModePushConsumerConsumesEveryMessageAndRetries() throws Exception {
        assumeTrue("JSON".equals(Env.serialization()), "POP codes (200050+) do not fit ROCKETMQ headers");
        String topic = Env.unique("PopTopic");
        String group = Env.unique("PopG");
        String run = Env.unique("run");
        Cluster.createTopic(admin, topic, 4);
        for (BrokerData bd : Cluster.masters(admin)) {
            admin.setMessageRequestMode(bd.getBrokerAddrs().get(MixAll.MASTER_ID), topic, group,
                MessageRequestMode.POP, 0, 5000);
        }

        DefaultMQProducer p = clients.producer(Env.unique("PG"));
        for (int from = 0; from < MESSAGES; from += 50) {
            assertEquals(SendStatus.SEND_OK, p.send(Bodies.messages(topic, run, from, from + 50, "TagPop")).getSendStatus());
        }

        Map<Integer, MessageExt> done = new ConcurrentHashMap<>();
        Set<Integer> failed = ConcurrentHashMap.newKeySet();
        DefaultMQPushConsumer c = clients.pushConsumer(group);
        c.setClientRebalance(false);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                if (!run.equals(m.getUserProperty("run"))) {
                    continue;
                }
                int idx = Integer.parseInt(m.getUserProperty(Bodies.INDEX));
                if (idx % 100 == 7 && m.getReconsumeTimes() == 0) {
                    failed.add(idx);
                    return ConsumeConcurrentlyStatus.RECONSUME_LATER;
                }
                done.putIfAbsent(idx, m);
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();

        Await.until(MESSAGES + " messages consumed", Duration.ofSeconds(100), () -> done.size() == MESSAGES,
            () -> done.size() + " consumed, failed once: " + failed);
        List<Integer> wrong = new ArrayList<>();
        for (int i = 0; i < MESSAGES; i++) {
            MessageExt m = done.get(i);
            assertEquals(topic, m.getTopic(), "message " + i + " under its topic");
            if (!java.util.Arrays.equals(Bodies.body(run, i), m.getBody())) {
                wrong.add(i);
            }
        }
        assertTrue(wrong.isEmpty(), "bodies differ: " + wrong);
        assertEquals(MESSAGES / 100, failed.size(), "failed once: " + failed);
        for (int i : failed) {
            MessageExt m = done.get(i);
            assertTrue(m.getReconsumeTimes() >= 1, "message " + i + " came back with reconsumeTimes "
                + m.getReconsumeTimes());
            assertArrayEquals(Bodies.body(run, i), m.getBody());
        }
        // They came back through the pop retry topic (a PULL consumer's retries use %RETRY%group).
        String retry = KeyBuilder.buildPopRetryTopicV1(topic, group);
        TopicStatsTable stats = admin.examineTopicStats(retry);
        long inRetry = stats.getOffsetTable().values().stream().mapToLong(o -> o.getMaxOffset()).sum();
        assertTrue(inRetry >= failed.size(), inRetry + " messages in " + retry);

        // The group's progress (mqadmin consumerProgress): a POP group's offsets moved at pop time.
        ConsumeStats cs = admin.examineConsumeStats(group);
        long queues = cs.getOffsetTable().keySet().stream().filter(mq -> mq.getTopic().equals(topic)).count();
        long lag = cs.getOffsetTable().entrySet().stream().filter(e -> e.getKey().getTopic().equals(topic))
            .mapToLong(e -> e.getValue().getBrokerOffset() - e.getValue().getConsumerOffset()).sum();
        assertEquals(4, queues, "every queue of the topic in " + cs.getOffsetTable());
        assertEquals(0, lag, "no lag left: " + cs.getOffsetTable());
    }
}
