package io.ferromq.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.remoting.protocol.ResponseCode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * RocketMQ 5.3 recall (RECALL_MESSAGE, 370) through {@code DefaultMQProducer.recallMessage}: a timer
 * message's SendResult carries a recall handle; recalled before its time, the message is never consumed
 * while the one sent beside it is; once delivered it can no longer be recalled. Recalls are off by default
 * (recallMessageEnable=false, as in Java), so the test turns them on with updateBrokerConfig.
 */
@Tag("features")
class RecallTest extends InteropTestBase {
    @Test
    void recalledTimerMessageIsNeverConsumed() throws Exception {
        Properties on = new Properties();
        on.setProperty("recallMessageEnable", "true");
        admin.updateBrokerConfig(Cluster.firstMasterAddr(admin), on);

        String topic = Env.unique("RecallTopic");
        String run = Env.unique("run");
        Cluster.createTopic(admin, topic, 2);
        Map<Integer, MessageExt> got = new ConcurrentHashMap<>();
        DefaultMQPushConsumer c = clients.pushConsumer(Env.unique("RG"));
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                if (run.equals(m.getUserProperty("run"))) {
                    got.putIfAbsent(Integer.parseInt(m.getUserProperty(Bodies.INDEX)), m);
                }
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();

        DefaultMQProducer p = clients.producer(Env.unique("PG"));
        SendResult recalled = sendTimer(p, topic, run, 0);
        SendResult kept = sendTimer(p, topic, run, 1);
        assertNotNull(recalled.getRecallHandle(), "a timer message's send carries a recall handle");
        assertEquals(recalled.getMsgId(), p.recallMessage(topic, recalled.getRecallHandle()));

        Await.until("the timer message sent beside the recalled one", Duration.ofSeconds(25),
            () -> got.containsKey(1), () -> "got " + got.keySet());
        Thread.sleep(2000);
        assertFalse(got.containsKey(0), "the recalled message was consumed");
        assertEquals(1, got.size(), "only the kept message (no deletion marker) was consumed: " + got.keySet());

        MQBrokerException late = assertThrows(MQBrokerException.class,
            () -> p.recallMessage(topic, kept.getRecallHandle()));
        assertEquals(ResponseCode.ILLEGAL_OPERATION, late.getResponseCode());
        assertThrows(MQClientException.class, () -> p.recallMessage(topic, "not-a-handle"));

        SendResult plain = p.send(Bodies.message(topic, run, 2, "TagPlain"));
        assertNull(plain.getRecallHandle(), "only timer messages can be recalled");
    }

    private static SendResult sendTimer(DefaultMQProducer p, String topic, String run, int i) throws Exception {
        Message m = Bodies.message(topic, run, i, "TagRecall");
        m.setDelayTimeMs(3000);
        SendResult r = p.send(m);
        assertEquals(SendStatus.SEND_OK, r.getSendStatus());
        return r;
    }
}
