package io.ferromq.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.rocketmq.client.QueryResult;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.MixAll;
import org.apache.rocketmq.common.constant.PermName;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.remoting.protocol.admin.TopicStatsTable;
import org.apache.rocketmq.remoting.protocol.route.TopicRouteData;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Issue 6: CONSUMER_SEND_MSG_BACK (36), %RETRY%group, maxReconsumeTimes, %DLQ%group. */
@Tag("features")
class RetryAndDlqTest extends InteropTestBase {
    static final int MAX_RECONSUME = 2;

    record Delivery(int reconsumeTimes, long at, MessageExt msg) {
    }

    /**
     * Pins retry then DLQ: a listener that always answers RECONSUME_LATER sees the message with
     * reconsumeTimes 0, 1, ..., maxReconsumeTimes (2 here, set on the consumer), each retry no earlier than
     * delay level 3 + (reconsumeTimes - 1) after the previous failure (growing delays), always with the
     * original msgId (UNIQ_KEY), topic and body, and on retries RETRY_TOPIC = the original topic and
     * ORIGIN_MESSAGE_ID = the original offsetMsgId; after the last failure it is stored in %DLQ%group (one
     * queue, perm read|write as Java 5.3.3 creates it - older brokers used write-only) with those properties
     * and reconsumeTimes maxReconsumeTimes + 1, and never delivered again.
     */
    @Test
    void retriesThenDeadLetterQueue() throws Exception {
        String topic = Env.unique("RetryTopic");
        String group = Env.unique("RetryG");
        String run = Env.unique("run");
        Cluster.createTopic(admin, topic, 1);
        // The broker creates %RETRY%group when the consumer first heartbeats, but the consumer looked the
        // route up just before that and only re-balances every 20 s: the first retry would wait up to 20 s.
        // Creating the retry topic up front (as an operator may) keeps the test fast.
        Cluster.createTopic(admin, MixAll.getRetryTopic(group), 1);
        List<Delivery> deliveries = new CopyOnWriteArrayList<>();
        DefaultMQPushConsumer c = clients.pushConsumer(group);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.setMaxReconsumeTimes(MAX_RECONSUME);
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                if (run.equals(m.getUserProperty("run"))) {
                    deliveries.add(new Delivery(m.getReconsumeTimes(), System.currentTimeMillis(), m));
                }
            }
            return ConsumeConcurrentlyStatus.RECONSUME_LATER;
        });
        c.start();
        DefaultMQProducer p = clients.producer(Env.unique("PG"));
        SendResult sent = p.send(Bodies.message(topic, run, 0, "TagRetry"));

        long budget = 30_000;
        for (int k = 0; k < MAX_RECONSUME; k++) {
            budget += Env.delayLevel(3 + k).toMillis();
        }
        Await.until((MAX_RECONSUME + 1) + " deliveries", Duration.ofMillis(budget),
            () -> deliveries.size() >= MAX_RECONSUME + 1, () -> deliveries.toString());
        for (int k = 0; k <= MAX_RECONSUME; k++) {
            Delivery d = deliveries.get(k);
            assertEquals(k, d.reconsumeTimes(), "delivery " + k + " reconsumeTimes");
            assertEquals(sent.getMsgId(), d.msg().getMsgId(), "msgId kept on retry " + k);
            assertEquals(topic, d.msg().getTopic(), "the client restores the original topic");
            assertArrayEquals(Bodies.body(run, 0), d.msg().getBody());
            if (k > 0) {
                long gap = d.at() - deliveries.get(k - 1).at();
                long level = Env.delayLevel(3 + k - 1).toMillis();
                assertTrue(gap >= level - 50, "retry " + k + " came " + gap + " ms after the failure, delay level "
                    + (3 + k - 1) + " is " + level + " ms");
                assertEquals(topic, d.msg().getProperty(MessageConst.PROPERTY_RETRY_TOPIC));
                assertEquals(sent.getOffsetMsgId(), d.msg().getProperty(MessageConst.PROPERTY_ORIGIN_MESSAGE_ID));
            }
        }

        String dlq = MixAll.getDLQTopic(group);
        TopicRouteData route = Cluster.awaitRoute(admin, dlq, 1);
        assertEquals(1, route.getQueueDatas().get(0).getWriteQueueNums(), "DLQ has one queue");
        assertEquals(PermName.PERM_READ | PermName.PERM_WRITE, route.getQueueDatas().get(0).getPerm(), "DLQ perm");
        TopicStatsTable stats = Await.value("one message in the DLQ", Duration.ofSeconds(20), () -> {
            TopicStatsTable t = admin.examineTopicStats(dlq);
            long n = t.getOffsetTable().values().stream().mapToLong(o -> o.getMaxOffset() - o.getMinOffset()).sum();
            return n == 1 ? t : null;
        });
        assertNotNull(stats);
        String cluster = Cluster.name(admin);
        QueryResult q = Await.value("the DLQ message by its msgId", Duration.ofSeconds(20), () -> {
            QueryResult r = admin.queryMessageByUniqKey(cluster, dlq, sent.getMsgId(), 32, 0, Long.MAX_VALUE);
            return r.getMessageList().isEmpty() ? null : r;
        });
        MessageExt inDlq = q.getMessageList().get(0);
        assertEquals(dlq, inDlq.getTopic());
        assertEquals(sent.getMsgId(), inDlq.getMsgId());
        assertEquals(topic, inDlq.getProperty(MessageConst.PROPERTY_RETRY_TOPIC));
        assertEquals(sent.getOffsetMsgId(), inDlq.getProperty(MessageConst.PROPERTY_ORIGIN_MESSAGE_ID));
        assertEquals(MAX_RECONSUME + 1, inDlq.getReconsumeTimes(), "reconsumeTimes of the DLQ copy");
        assertArrayEquals(Bodies.body(run, 0), inDlq.getBody());
        Await.during("no delivery after the DLQ", Duration.ofSeconds(2),
            () -> deliveries.size() == MAX_RECONSUME + 1, () -> deliveries.toString());
    }
}
