package io.ferromq.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.producer.LocalTransactionState;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.client.producer.TransactionListener;
import org.apache.rocketmq.client.producer.TransactionMQProducer;
import org.apache.rocketmq.client.producer.TransactionSendResult;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.remoting.protocol.admin.TopicStatsTable;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 6: transactional messages - half messages (TRAN_MSG), END_TRANSACTION (37), the broker's check
 * service sending CHECK_TRANSACTION_STATE (39) to the producer group. The check timing follows the server's
 * transactionCheckInterval / transactionTimeOut (Java defaults 30 s / 6 s; see README for test settings).
 */
@Tag("features")
class TransactionTest extends InteropTestBase {
    static final Duration CHECK_WAIT = Duration.ofSeconds(90);

    /**
     * Pins the four outcomes: COMMIT is delivered; ROLLBACK never; UNKNOW is checked back
     * (CHECK_TRANSACTION_STATE to the live producer of the group) and then delivered if the check answers
     * COMMIT, never if it answers ROLLBACK. Only the two committed messages ever reach the topic (topic stats
     * total 2); delivered ones carry TRAN_MSG=true, the producer group (PGROUP), their msgId and body; the
     * directly committed/rolled-back ones are never checked.
     */
    @Test
    void commitRollbackAndCheckBack() throws Exception {
        String topic = Env.unique("TxTopic");
        String run = Env.unique("run");
        String group = Env.unique("TxPG");
        Cluster.createTopic(admin, topic, 2);
        Map<String, AtomicInteger> checks = new ConcurrentHashMap<>();
        TransactionMQProducer p = clients.transactionProducer(group);
        p.setTransactionListener(new TransactionListener() {
            @Override
            public LocalTransactionState executeLocalTransaction(Message msg, Object arg) {
                return switch (msg.getUserProperty("tx")) {
                    case "commit" -> LocalTransactionState.COMMIT_MESSAGE;
                    case "rollback" -> LocalTransactionState.ROLLBACK_MESSAGE;
                    default -> LocalTransactionState.UNKNOW;
                };
            }

            @Override
            public LocalTransactionState checkLocalTransaction(MessageExt msg) {
                if (!run.equals(msg.getUserProperty("run"))) {
                    return LocalTransactionState.ROLLBACK_MESSAGE;
                }
                String tx = msg.getUserProperty("tx");
                checks.computeIfAbsent(tx, k -> new AtomicInteger()).incrementAndGet();
                return switch (tx) {
                    case "unknown-then-commit", "commit" -> LocalTransactionState.COMMIT_MESSAGE;
                    default -> LocalTransactionState.ROLLBACK_MESSAGE;
                };
            }
        });
        p.start();

        Received got = new Received(run);
        DefaultMQPushConsumer c = clients.pushConsumer(Env.unique("TxCG"));
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, "*");
        c.registerMessageListener(got.listener());
        c.start();

        String[] kinds = {"commit", "rollback", "unknown-then-commit", "unknown-then-rollback"};
        Map<Integer, TransactionSendResult> results = new ConcurrentHashMap<>();
        for (int i = 0; i < kinds.length; i++) {
            Message m = Bodies.message(topic, run, i, "TagTx");
            m.putUserProperty("tx", kinds[i]);
            TransactionSendResult r = p.sendMessageInTransaction(m, null);
            assertEquals(SendStatus.SEND_OK, r.getSendStatus(), kinds[i]);
            results.put(i, r);
        }
        assertEquals(LocalTransactionState.COMMIT_MESSAGE, results.get(0).getLocalTransactionState());
        assertEquals(LocalTransactionState.ROLLBACK_MESSAGE, results.get(1).getLocalTransactionState());
        assertEquals(LocalTransactionState.UNKNOW, results.get(2).getLocalTransactionState());

        Await.until("check-backs of both UNKNOW messages and delivery of both commits", CHECK_WAIT,
            () -> checks.containsKey("unknown-then-commit") && checks.containsKey("unknown-then-rollback")
                && got.distinct() >= 2,
            () -> "checks=" + checks + " " + got.summary());
        Await.during("nothing else delivered", Duration.ofSeconds(2), () -> got.distinct() == 2, got::summary);
        got.assertExactly(Set.of(0, 2), true);
        assertTrue(!checks.containsKey("commit") && !checks.containsKey("rollback"),
            "decided transactions are not checked: " + checks);
        for (int i : new int[] {0, 2}) {
            MessageExt m = got.get(i).get(0);
            assertEquals("true", m.getProperty(MessageConst.PROPERTY_TRANSACTION_PREPARED), "TRAN_MSG of " + i);
            assertEquals(group, m.getProperty(MessageConst.PROPERTY_PRODUCER_GROUP), "PGROUP of " + i);
            assertEquals(results.get(i).getMsgId(), m.getMsgId());
            assertArrayEquals(Bodies.body(run, i), m.getBody());
        }
        TopicStatsTable stats = admin.examineTopicStats(topic);
        long total = stats.getOffsetTable().values().stream().mapToLong(o -> o.getMaxOffset() - o.getMinOffset())
            .sum();
        assertEquals(2, total, "only committed messages reach the topic");
    }
}
