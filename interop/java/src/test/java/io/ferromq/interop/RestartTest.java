package io.ferromq.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.LocalTransactionState;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.client.producer.TransactionListener;
import org.apache.rocketmq.client.producer.TransactionMQProducer;
import org.apache.rocketmq.client.producer.TransactionSendResult;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.remoting.protocol.admin.TopicStatsTable;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 6: pending work survives a broker restart. Before the restart the class leaves behind, on one
 * broker: half messages whose producer answered UNKNOW and then went away, messages on delay levels of a
 * few seconds, and timer messages due a few seconds later. Then it runs {@code FERROMQ_RESTART_CMD}, which
 * must stop the broker cleanly (SIGTERM), start it again on the same store, ports and config, and return
 * once it is registered with the NameServer again. Each test then checks one kind of pending work.
 *
 * <p>Runs only with {@code -Prestart} (tag {@code restart}), {@code FERROMQ_FEATURES=1} (the feature
 * settings of README.md: short delay levels, transactionCheckInterval 1 s, transactionTimeOut 3 s) and
 * {@code FERROMQ_RESTART_CMD} set; it restarts the server under test, so it never runs together with the
 * other classes. The consumers of the delayed and timer topics are started before the restart and live
 * through it (they reconnect); the broker restart itself may take half a minute (Apache RocketMQ 5.3.3's
 * graceful shutdown takes ~15 s), so delivery times are only bounded below ("not before due").
 */
@Tag("restart")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class RestartTest {
    static final Duration AFTER_RESTART = Duration.ofSeconds(90);
    /** Java's timing wheel delivers a whole 1 s slot when it starts (timerPrecisionMs 1000). */
    static final long TIMER_PRECISION_MS = 1000;
    static final int HALVES = 10;

    private final Clients clients = new Clients();
    private DefaultMQAdminExt admin;
    private final String run = Env.unique("run");
    private final String txGroup = Env.unique("RestartTxPG");
    private final String txTopic = Env.unique("RestartTx");
    private final String delayTopic = Env.unique("RestartDelay");
    private final String timerTopic = Env.unique("RestartTimer");

    private final Received txGot = new Received(run);
    private final Map<Integer, List<Delivery>> delayGot = new ConcurrentHashMap<>();
    private final Map<Integer, List<Delivery>> timerGot = new ConcurrentHashMap<>();
    private final Map<Integer, AtomicInteger> checksBefore = new ConcurrentHashMap<>();
    private final Map<Integer, AtomicInteger> checksAfter = new ConcurrentHashMap<>();
    /** Delayed message index → (sent at, delay ms, send result). */
    private final Map<Integer, Sent> delaySent = new HashMap<>();
    /** Timer message index → (sent at, due in ms, send result). */
    private final Map<Integer, Sent> timerSent = new HashMap<>();
    private long restartBegan;
    private long restartEnded;

    record Delivery(MessageExt msg, long receivedAt) {
    }

    record Sent(long at, long delayMs, SendResult result) {
    }

    @BeforeAll
    void leavePendingWorkAndRestart() throws Exception {
        String cmd = System.getenv("FERROMQ_RESTART_CMD");
        assumeTrue(cmd != null && !cmd.isBlank(), "set FERROMQ_RESTART_CMD to a command that restarts the broker");
        assumeTrue("1".equals(System.getenv("FERROMQ_FEATURES")),
            "set FERROMQ_FEATURES=1 (the broker needs the feature settings of README.md)");
        admin = clients.admin();
        String brokerAddr = Cluster.firstMasterAddr(admin);
        assertEquals(1, Cluster.masters(admin).size(), "the restart tests want exactly one master broker");
        for (String t : List.of(txTopic, delayTopic, timerTopic)) {
            Cluster.createTopic(admin, t, 2);
        }

        // Consumers that live through the restart.
        startConsumer(txTopic, txGot.listener());
        startConsumer(delayTopic, recording(delayGot));
        startConsumer(timerTopic, recording(timerGot));

        // Half messages whose local transaction is UNKNOW; this producer then goes away for good.
        TransactionMQProducer before = clients.transactionProducer(txGroup);
        before.setTransactionListener(listener(checksBefore, LocalTransactionState.UNKNOW));
        before.start();
        for (int i = 0; i < HALVES; i++) {
            Message m = Bodies.message(txTopic, run, i, "TagTx");
            TransactionSendResult r = before.sendMessageInTransaction(m, null);
            assertEquals(SendStatus.SEND_OK, r.getSendStatus(), "half message " + i);
            assertEquals(LocalTransactionState.UNKNOW, r.getLocalTransactionState());
        }
        before.shutdown();

        // Delayed and timer messages due a few seconds from now.
        DefaultMQProducer p = clients.producer(Env.unique("PG"));
        int i = 0;
        for (long want : new long[] {3000, 6000, 10_000}) {
            int level = levelAtLeast(want);
            long delay = Env.delayLevel(level).toMillis();
            for (int k = 0; k < 2; k++, i++) {
                Message m = Bodies.message(delayTopic, run, i, "TagDelay");
                m.setDelayTimeLevel(level);
                long at = System.currentTimeMillis();
                SendResult r = p.send(m);
                assertEquals(SendStatus.SEND_OK, r.getSendStatus());
                delaySent.put(i, new Sent(at, delay, r));
            }
        }
        i = 0;
        for (long delay : new long[] {3000, 6000, 10_000}) {
            for (int k = 0; k < 2; k++, i++) {
                Message m = Bodies.message(timerTopic, run, i, "TagTimer");
                long at = System.currentTimeMillis();
                if (k == 0) {
                    m.setDelayTimeMs(delay);
                } else {
                    m.setDeliverTimeMs(at + delay);
                }
                SendResult r = p.send(m);
                assertEquals(SendStatus.SEND_OK, r.getSendStatus());
                timerSent.put(i, new Sent(at, delay, r));
            }
        }
        assertEquals(0, txGot.distinct() + txGot.foreign().size(), "nothing of the transactions before the restart");

        restart(cmd);

        // A new instance of the transactional application: it knows how each transaction ended. Like any
        // application it also sends (a transaction it commits at once): a 5.x producer that never sent learns
        // no broker address, so it would never heartbeat and the broker would have nobody to check with.
        TransactionMQProducer after = clients.transactionProducer(txGroup);
        after.setTransactionListener(listener(checksAfter, null));
        after.start();
        Message fresh = Bodies.message(txTopic, run, HALVES, "TagTx");
        TransactionSendResult fr = Await.value("a transaction sent after the restart", AFTER_RESTART,
            () -> after.sendMessageInTransaction(fresh, null));
        assertEquals(SendStatus.SEND_OK, fr.getSendStatus());
        assertEquals(LocalTransactionState.COMMIT_MESSAGE, fr.getLocalTransactionState());
        Await.value("broker " + brokerAddr + " registered again", AFTER_RESTART, () ->
            admin.examineBrokerClusterInfo().getBrokerAddrTable().values().stream()
                .anyMatch(bd -> brokerAddr.equals(bd.getBrokerAddrs().get(0L))) ? Boolean.TRUE : null);
        for (String t : List.of(txTopic, delayTopic, timerTopic)) {
            Cluster.awaitRoute(admin, t, 1);
        }
    }

    @AfterAll
    void closeClients() {
        clients.close();
        Clients.awaitShutdowns();
    }

    /**
     * Pins half messages surviving a restart: ten transactions left UNKNOW by a producer that is gone are
     * checked back (CHECK_TRANSACTION_STATE) after the restart by a new producer of the same group; the ones
     * it commits (even indexes) are delivered exactly once, with their bodies, the rolled-back ones never;
     * only the committed ones ever reach the topic. Every half is checked after the restart. (The new producer
     * also sends and commits one transaction of its own, index 10.)
     */
    @Test
    void pendingHalfMessagesResolvedAfterRestart() throws Exception {
        List<Integer> committed = new ArrayList<>();
        for (int i = 0; i < HALVES; i += 2) {
            committed.add(i);
        }
        committed.add(HALVES); // sent and committed after the restart
        Await.until("check-back of every half and delivery of the committed ones", AFTER_RESTART,
            () -> checksAfter.size() == HALVES && txGot.distinct() >= committed.size(),
            () -> "checked after restart " + new TreeMap<>(checksAfter).keySet() + ", before " + checksBefore
                + ", " + txGot.summary());
        Await.during("nothing else delivered", Duration.ofSeconds(2),
            () -> txGot.distinct() == committed.size() && txGot.deliveries() == committed.size(), txGot::summary);
        txGot.assertExactly(committed, true);
        for (int idx : committed) {
            assertTrue(txGot.get(idx).get(0).getStoreTimestamp() >= restartBegan,
                "committed message " + idx + " stored before the restart");
        }
        TopicStatsTable stats = admin.examineTopicStats(txTopic);
        long total = stats.getOffsetTable().values().stream().mapToLong(o -> o.getMaxOffset() - o.getMinOffset())
            .sum();
        assertEquals(committed.size(), total, "only committed messages reach the topic");
    }

    /**
     * Pins delay levels surviving a restart: messages on the levels of about 3, 6 and 10 s sent just before
     * the restart are delivered after it, each exactly once, with msgId and body, stored in their topic no
     * earlier than born + delay and received no earlier than sent + delay.
     */
    @Test
    void delayedMessagesDeliveredAfterRestart() throws Exception {
        awaitAll("delayed messages", delayGot, delaySent.size());
        check("delayed", delayGot, delaySent, 0);
    }

    /**
     * Pins timer messages (TIMER_DELAY_MS and TIMER_DELIVER_MS) surviving a restart: due 3, 6 and 10 s after
     * being sent just before the restart, each is delivered after it exactly once, no earlier than due minus
     * the wheel's 1 s precision.
     */
    @Test
    void timerMessagesDeliveredAfterRestart() throws Exception {
        awaitAll("timer messages", timerGot, timerSent.size());
        check("timer", timerGot, timerSent, TIMER_PRECISION_MS);
    }

    private void awaitAll(String what, Map<Integer, List<Delivery>> got, int n) {
        Await.until("all " + n + " " + what, AFTER_RESTART, () -> got.size() == n, () -> "got " + got.keySet());
        Await.sleep(2000); // let duplicates show up
    }

    private void check(String kind, Map<Integer, List<Delivery>> got, Map<Integer, Sent> sent, long earlyMs) {
        assertEquals(sent.keySet(), got.keySet(), "delivered indexes");
        int pendingThroughRestart = 0;
        for (Map.Entry<Integer, List<Delivery>> e : got.entrySet()) {
            int idx = e.getKey();
            Sent s = sent.get(idx);
            assertEquals(1, e.getValue().size(), "deliveries of message " + idx);
            Delivery d = e.getValue().get(0);
            long due = s.at() + s.delayMs();
            assertTrue(d.receivedAt() >= due - earlyMs,
                "message " + idx + " received " + (due - d.receivedAt()) + " ms before due");
            assertTrue(d.msg().getStoreTimestamp() >= d.msg().getBornTimestamp() + s.delayMs() - earlyMs,
                "message " + idx + " stored in its topic before due");
            assertEquals(s.result().getMsgId(), d.msg().getMsgId(), "msgId of " + idx);
            assertArrayEquals(Bodies.body(run, idx), d.msg().getBody(), "body of " + idx);
            if (due > restartEnded) {
                pendingThroughRestart++;
            }
        }
        System.out.printf("restart took %d ms; %d of %d %s messages were due after it (certainly pending when"
            + " the broker stopped)%n", restartEnded - restartBegan, pendingThroughRestart, sent.size(), kind);
    }

    private void restart(String cmd) throws IOException, InterruptedException {
        File log = Path.of("target", "restart-" + Env.serialization().toLowerCase() + ".log").toFile();
        Files.createDirectories(log.toPath().getParent());
        restartBegan = System.currentTimeMillis();
        Process p = new ProcessBuilder("bash", "-c", cmd).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log)).redirectInput(ProcessBuilder.Redirect.from(
                new File("/dev/null"))).start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("FERROMQ_RESTART_CMD did not finish within 180 s (output in " + log + ")");
        }
        restartEnded = System.currentTimeMillis();
        if (p.exitValue() != 0) {
            fail("FERROMQ_RESTART_CMD exited with " + p.exitValue() + ":\n"
                + Files.readString(log.toPath(), StandardCharsets.UTF_8));
        }
    }

    /** The smallest configured delay level of at least {@code ms} (and at most 20 s). */
    private static int levelAtLeast(long ms) {
        List<Duration> levels = Env.delayLevels();
        int best = -1;
        for (int l = 1; l <= levels.size(); l++) {
            long d = levels.get(l - 1).toMillis();
            if (d >= ms && d <= 20_000 && (best < 0 || d < levels.get(best - 1).toMillis())) {
                best = l;
            }
        }
        assumeTrue(best > 0, "no delay level between " + ms + " ms and 20 s in FERROMQ_DELAY_LEVELS");
        return best;
    }

    /**
     * A transaction listener: the local transaction of the halves left before the restart is UNKNOW, of the
     * one sent after it COMMIT; a check-back is counted and answered
     * with {@code answer}, or (null) COMMIT for even indexes and ROLLBACK for odd ones.
     */
    private TransactionListener listener(Map<Integer, AtomicInteger> checks, LocalTransactionState answer) {
        return new TransactionListener() {
            @Override
            public LocalTransactionState executeLocalTransaction(Message msg, Object arg) {
                int idx = Integer.parseInt(msg.getUserProperty(Bodies.INDEX));
                return idx < HALVES ? LocalTransactionState.UNKNOW : LocalTransactionState.COMMIT_MESSAGE;
            }

            @Override
            public LocalTransactionState checkLocalTransaction(MessageExt msg) {
                if (!run.equals(msg.getUserProperty("run"))) {
                    return LocalTransactionState.ROLLBACK_MESSAGE;
                }
                int idx = Integer.parseInt(msg.getUserProperty(Bodies.INDEX));
                checks.computeIfAbsent(idx, k -> new AtomicInteger()).incrementAndGet();
                if (answer != null) {
                    return answer;
                }
                return idx % 2 == 0 ? LocalTransactionState.COMMIT_MESSAGE : LocalTransactionState.ROLLBACK_MESSAGE;
            }
        };
    }

    private void startConsumer(String topic, MessageListenerConcurrently listener) throws Exception {
        DefaultMQPushConsumer c = clients.pushConsumer(Env.unique("RestartCG"));
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, "*");
        c.registerMessageListener(listener);
        c.start();
    }

    private MessageListenerConcurrently recording(Map<Integer, List<Delivery>> into) {
        return (msgs, ctx) -> {
            long now = System.currentTimeMillis();
            for (MessageExt m : msgs) {
                if (run.equals(m.getUserProperty("run"))) {
                    into.computeIfAbsent(Integer.parseInt(m.getUserProperty(Bodies.INDEX)),
                        k -> new CopyOnWriteArrayList<>()).add(new Delivery(m, now));
                }
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        };
    }
}
