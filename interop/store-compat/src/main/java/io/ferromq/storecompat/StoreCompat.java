package io.ferromq.storecompat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.rocketmq.client.QueryResult;
import org.apache.rocketmq.client.consumer.DefaultMQPullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.PullResult;
import org.apache.rocketmq.client.consumer.PullStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.common.sysflag.MessageSysFlag;
import org.apache.rocketmq.remoting.protocol.body.ClusterInfo;
import org.apache.rocketmq.remoting.protocol.route.BrokerData;
import org.apache.rocketmq.remoting.protocol.route.TopicRouteData;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

import io.ferromq.storecompat.Manifest.Sent;

import static io.ferromq.storecompat.Content.*;
import static io.ferromq.storecompat.Manifest.readManifest;
import static io.ferromq.storecompat.Manifest.record;
import static io.ferromq.storecompat.Manifest.writeManifest;

/**
 * Store compatibility client (issue 3), built only on the official RocketMQ 5.3.3 client.
 *
 * <pre>
 * produce NAMESRV MANIFEST ORIGIN   create topics, send the messages below, consume half of two
 *                                   topics with group sc_group (committed), write MANIFEST
 * verify  NAMESRV MANIFEST          against the OTHER broker, opened on the same store directory:
 *                                   every message pullable, right content, min/max offsets, key /
 *                                   unique-key / physical-offset lookups, offset by time, tag
 *                                   filtering (CQ tag codes), committed offsets, the group resumes
 *                                   exactly at them, new sends append and read back
 * </pre>
 *
 * Messages: SC_ORDERS (4 queues), SC_EVENTS (3), SC_LOGS (2), queue = seq % queues, sent in two
 * phases with a time mark between them; tags (incl. non-ASCII ones whose Java hashCode exercises
 * UTF-16), one or two keys, user properties (seq, origin, a UTF-8 note), bodies that are a
 * repeated "topic:seq;" pattern; bodies over 4 KiB are zlib-compressed by the client; one batch.
 * The manifest is a TSV file (see {@link Manifest#writeManifest}).
 */
public final class StoreCompat {
    static final String GROUP = "sc_group";

    static int failures = 0;

    /** Our lines carry a prefix: the client's logging also writes to stdout. */
    static void say(String line) {
        System.out.println("[store-compat] " + line);
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            failures++;
            if (failures <= 50) {
                say("MISMATCH: " + what);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: produce NAMESRV MANIFEST ORIGIN | verify NAMESRV MANIFEST");
            System.exit(2);
        }
        String ns = args[1];
        Path manifest = Path.of(args[2]);
        switch (args[0]) {
            case "produce" -> produce(ns, manifest, args.length > 3 ? args[3] : "java");
            case "verify" -> verify(ns, manifest);
            default -> {
                System.err.println("unknown mode " + args[0]);
                System.exit(2);
            }
        }
        if (failures > 0) {
            say("FAILED: " + failures + " mismatches");
            System.exit(1);
        }
        say("OK");
        System.exit(0);
    }

    // ---------------------------------------------------------------- produce

    static void produce(String ns, Path manifest, String origin) throws Exception {
        DefaultMQAdminExt admin = new DefaultMQAdminExt();
        admin.setNamesrvAddr(ns);
        admin.setInstanceName("sc-admin-" + ProcessHandle.current().pid());
        admin.start();
        String brokerName;
        try {
            BrokerData bd = firstBroker(admin);
            brokerName = bd.getBrokerName();
            String addr = bd.getBrokerAddrs().get(0L);
            for (int t = 0; t < TOPICS.length; t++) {
                admin.createAndUpdateTopicConfig(addr, new TopicConfig(TOPICS[t], QUEUES[t], QUEUES[t], 6));
            }
            for (int t = 0; t < TOPICS.length; t++) {
                waitRoute(admin, TOPICS[t], QUEUES[t]);
            }
        } finally {
            admin.shutdown();
        }

        DefaultMQProducer producer = new DefaultMQProducer("sc_producer");
        producer.setNamesrvAddr(ns);
        producer.setInstanceName("sc-producer-" + ProcessHandle.current().pid());
        producer.setSendMsgTimeout(10_000);
        producer.start();
        List<Sent> sent = new ArrayList<>();
        long tmid = 0;
        try {
            for (int phase = 1; phase <= 2; phase++) {
                for (int t = 0; t < TOPICS.length; t++) {
                    int half = COUNTS[t] / 2;
                    int from = phase == 1 ? 0 : half;
                    int to = phase == 1 ? half : COUNTS[t];
                    for (int seq = from; seq < to; seq++) {
                        Message m = message(TOPICS[t], t, seq, origin);
                        MessageQueue mq = new MessageQueue(TOPICS[t], brokerName, seq % QUEUES[t]);
                        SendResult r = producer.send(m, mq);
                        if (r.getSendStatus() != SendStatus.SEND_OK) {
                            throw new IllegalStateException("send " + TOPICS[t] + "/" + seq + ": " + r);
                        }
                        Sent s = record(m, seq, phase, false);
                        s.queue = r.getMessageQueue().getQueueId();
                        s.offset = r.getQueueOffset();
                        s.msgId = r.getMsgId();
                        s.offsetMsgId = r.getOffsetMsgId();
                        sent.add(s);
                    }
                }
                if (phase == 1) {
                    // The batch: one SEND_BATCH_MESSAGE, one record per message.
                    List<Message> batch = new ArrayList<>();
                    for (int i = 0; i < BATCH_SIZE; i++) {
                        batch.add(message(BATCH_TOPIC, -1, BATCH_SEQ_BASE + i, origin));
                    }
                    SendResult r = producer.send(batch, new MessageQueue(BATCH_TOPIC, brokerName, BATCH_QUEUE));
                    if (r.getSendStatus() != SendStatus.SEND_OK) {
                        throw new IllegalStateException("batch send: " + r);
                    }
                    String[] ids = r.getMsgId().split(",");
                    String[] offIds = r.getOffsetMsgId().split(",");
                    for (int i = 0; i < BATCH_SIZE; i++) {
                        Sent s = record(batch.get(i), BATCH_SEQ_BASE + i, 1, true);
                        s.queue = BATCH_QUEUE;
                        s.offset = r.getQueueOffset() + i;
                        s.msgId = ids[i];
                        s.offsetMsgId = offIds.length == BATCH_SIZE ? offIds[i] : "-";
                        sent.add(s);
                    }
                    // A time mark strictly between the two phases' store times.
                    Thread.sleep(1100);
                    tmid = System.currentTimeMillis();
                    Thread.sleep(1100);
                }
            }
        } finally {
            producer.shutdown();
        }

        // Read everything back from the broker that stored it: what a client sees there is
        // what it must see from the other broker on the same files.
        Map<String, Map<Long, Sent>> byQueue = new TreeMap<>();
        for (Sent s : sent) {
            byQueue.computeIfAbsent(s.topic + "\t" + s.queue, k -> new TreeMap<>()).put(s.offset, s);
        }
        DefaultMQPullConsumer reader = pullConsumer(ns, "sc_reader");
        try {
            for (Map.Entry<String, Map<Long, Sent>> e : byQueue.entrySet()) {
                String[] tq = e.getKey().split("\t");
                MessageQueue mq = new MessageQueue(tq[0], brokerName, Integer.parseInt(tq[1]));
                for (MessageExt m : pullRange(reader, mq, "*", 0, e.getValue().size())) {
                    Sent s = e.getValue().get(m.getQueueOffset());
                    s.pulledMsgId = m.getMsgId();
                    check(s.batch || s.msgId.equals(s.pulledMsgId), "pulled id " + s.pulledMsgId + " of " + s.msgId);
                    checkMessage(m, s, "read back " + mq + "@" + m.getQueueOffset());
                }
            }
            for (Sent s : sent) {
                check(s.pulledMsgId != null, "not read back: " + s.topic + "/" + s.queue + "@" + s.offset);
            }
        } finally {
            reader.shutdown();
        }

        // Consume the first half of every queue of two topics with a real group, commit there.
        Map<String, Long> committed = new TreeMap<>();
        DefaultMQPullConsumer consumer = pullConsumer(ns, GROUP);
        try {
            for (int t = 0; t < 2; t++) {
                for (int q = 0; q < QUEUES[t]; q++) {
                    MessageQueue mq = new MessageQueue(TOPICS[t], brokerName, q);
                    long max = consumer.maxOffset(mq);
                    long upto = max / 2;
                    List<MessageExt> got = pullRange(consumer, mq, "*", 0, upto);
                    check(got.size() == upto, "consumed " + mq + " " + got.size() + " of " + upto);
                    consumer.updateConsumeOffset(mq, upto);
                    consumer.getOffsetStore().persist(mq);
                    committed.put(TOPICS[t] + "\t" + q, upto);
                }
            }
            // The commit is oneway: wait until the broker has it.
            for (Map.Entry<String, Long> e : committed.entrySet()) {
                String[] tq = e.getKey().split("\t");
                MessageQueue mq = new MessageQueue(tq[0], brokerName, Integer.parseInt(tq[1]));
                long deadline = System.currentTimeMillis() + 15_000;
                long got;
                do {
                    got = consumer.getOffsetStore().readOffset(mq, org.apache.rocketmq.client.consumer.store.ReadOffsetType.READ_FROM_STORE);
                    if (got == e.getValue()) {
                        break;
                    }
                    Thread.sleep(100);
                } while (System.currentTimeMillis() < deadline);
                check(got == e.getValue(), "committed offset of " + mq + " is " + got + ", want " + e.getValue());
            }
        } finally {
            consumer.shutdown();
        }
        writeManifest(manifest, brokerName, tmid, sent, committed);
        say("produced " + sent.size() + " messages on broker " + brokerName + ", manifest " + manifest);
    }

    static BrokerData firstBroker(DefaultMQAdminExt admin) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (true) {
            try {
                ClusterInfo ci = admin.examineBrokerClusterInfo();
                for (BrokerData bd : new TreeMap<>(ci.getBrokerAddrTable()).values()) {
                    if (bd.getBrokerAddrs().containsKey(0L)) {
                        return bd;
                    }
                }
            } catch (Exception e) {
                if (System.currentTimeMillis() > deadline) {
                    throw e;
                }
            }
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("no master broker registered");
            }
            Thread.sleep(300);
        }
    }

    static void waitRoute(DefaultMQAdminExt admin, String topic, int queues) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (true) {
            try {
                TopicRouteData r = admin.examineTopicRouteInfo(topic);
                if (!r.getQueueDatas().isEmpty() && r.getQueueDatas().get(0).getWriteQueueNums() == queues) {
                    return;
                }
            } catch (Exception e) {
                if (System.currentTimeMillis() > deadline) {
                    throw e;
                }
            }
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("no route for " + topic);
            }
            Thread.sleep(200);
        }
    }

    static DefaultMQPullConsumer pullConsumer(String ns, String group) throws Exception {
        DefaultMQPullConsumer c = new DefaultMQPullConsumer(group);
        c.setNamesrvAddr(ns);
        c.setInstanceName("sc-pull-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        c.start();
        return c;
    }

    /** Pulls [from, to) of a queue (every message when the filter is "*"). */
    static List<MessageExt> pullRange(DefaultMQPullConsumer c, MessageQueue mq, String sub, long from, long to)
        throws Exception {
        List<MessageExt> out = new ArrayList<>();
        long off = from;
        int idle = 0;
        while (off < to) {
            PullResult r = c.pull(mq, sub, off, 32, 10_000);
            if (r.getPullStatus() == PullStatus.FOUND) {
                for (MessageExt m : r.getMsgFoundList()) {
                    if (m.getQueueOffset() < to) {
                        out.add(m);
                    }
                }
            } else if (r.getPullStatus() != PullStatus.NO_MATCHED_MSG) {
                if (++idle > 3) {
                    check(false, "pull " + mq + " at " + off + ": " + r.getPullStatus());
                    break;
                }
                Thread.sleep(200);
                continue;
            }
            if (r.getNextBeginOffset() <= off) {
                check(false, "pull " + mq + " at " + off + " did not advance");
                break;
            }
            off = r.getNextBeginOffset();
        }
        return out;
    }

    // ---------------------------------------------------------------- verify

    static void verify(String ns, Path manifestPath) throws Exception {
        Manifest man = readManifest(manifestPath);
        String bn = man.brokerName;
        Map<String, Map<Long, Sent>> byQueue = new TreeMap<>();
        for (Sent s : man.sent) {
            byQueue.computeIfAbsent(s.topic + "\t" + s.queue, k -> new TreeMap<>()).put(s.offset, s);
        }
        DefaultMQPullConsumer c = pullConsumer(ns, "sc_verify");
        try {
            waitForTopics(c, bn);
            int pulled = 0;
            for (Map.Entry<String, Map<Long, Sent>> e : byQueue.entrySet()) {
                String[] tq = e.getKey().split("\t");
                MessageQueue mq = new MessageQueue(tq[0], bn, Integer.parseInt(tq[1]));
                Map<Long, Sent> want = e.getValue();
                long wantMax = Collections.max(want.keySet()) + 1;
                check(c.minOffset(mq) == 0, "minOffset " + mq + " = " + c.minOffset(mq));
                check(c.maxOffset(mq) == wantMax, "maxOffset " + mq + " = " + c.maxOffset(mq) + ", want " + wantMax);
                check(want.size() == wantMax, "manifest of " + mq + " has gaps");
                // Every message, by queue and offset.
                List<MessageExt> got = pullRange(c, mq, "*", 0, wantMax);
                check(got.size() == want.size(), "pulled " + got.size() + " of " + want.size() + " from " + mq);
                for (MessageExt m : got) {
                    Sent s = want.get(m.getQueueOffset());
                    if (s == null) {
                        check(false, "unexpected offset " + m.getQueueOffset() + " in " + mq);
                        continue;
                    }
                    checkMessage(m, s, "pull " + mq + "@" + m.getQueueOffset());
                    pulled++;
                }
                // Tag filtering (broker side it uses the ConsumeQueue tag codes).
                long wantTagged = want.values().stream()
                    .filter(s -> "TagA".equals(s.tags) || TAGS[2].equals(s.tags)).count();
                List<MessageExt> tagged = pullRange(c, mq, TAG_FILTER, 0, wantMax);
                check(tagged.size() == wantTagged, "tag filter on " + mq + ": " + tagged.size() + ", want " + wantTagged);
                // Offset by time: the first phase-2 message.
                long firstPhase2 = want.values().stream().filter(s -> s.phase == 2).mapToLong(s -> s.offset).min()
                    .orElse(wantMax);
                long byTime = c.searchOffset(mq, man.tmid);
                check(byTime == firstPhase2, "searchOffset " + mq + " @tmid = " + byTime + ", want " + firstPhase2);
            }
            say("pulled and compared " + pulled + " messages");

            // Index: by key, by unique key; by physical offset (offsetMsgId).
            Map<String, Integer> shared = new HashMap<>();
            int queried = 0;
            for (Sent s : man.sent) {
                String[] ks = s.keyList();
                for (String k : ks) {
                    if (k.startsWith("shared-")) {
                        shared.merge(s.topic + "\t" + k, 1, Integer::sum);
                    }
                }
                if (ks.length > 0) {
                    QueryResult qr = queryKey(c, s.topic, ks[0], 32);
                    check(qr.getMessageList().size() == 1, "query key " + ks[0] + " found "
                        + qr.getMessageList().size() + " messages");
                    if (qr.getMessageList().size() == 1) {
                        checkMessage(qr.getMessageList().get(0), s, "key " + ks[0]);
                    }
                }
                MessageExt u = null;
                try {
                    u = c.getDefaultMQPullConsumerImpl().queryMessageByUniqKey(s.topic, s.pulledMsgId);
                } catch (Exception e) {
                    check(false, "unique key " + s.pulledMsgId + ": " + e.getMessage());
                }
                check(u != null && u.getMsgId().equals(s.pulledMsgId), "unique key " + s.pulledMsgId);
                if (u != null && !s.batch) {
                    checkMessage(u, s, "uniq " + s.pulledMsgId);
                }
                if (!"-".equals(s.offsetMsgId) && s.seq % 5 == 0) {
                    MessageExt v = null;
                    try {
                        v = c.viewMessage(s.topic, s.offsetMsgId);
                    } catch (Exception e) {
                        check(false, "view " + s.offsetMsgId + ": " + e.getMessage());
                    }
                    check(v != null && s.pulledMsgId.equals(v.getMsgId()), "view by offsetMsgId " + s.offsetMsgId);
                }
                queried++;
            }
            for (Map.Entry<String, Integer> e : shared.entrySet()) {
                String[] tk = e.getKey().split("\t");
                QueryResult qr = queryKey(c, tk[0], tk[1], 64);
                check(qr.getMessageList().size() == e.getValue(),
                    "query shared key " + tk[1] + ": " + qr.getMessageList().size() + ", want " + e.getValue());
            }
            say("looked up " + queried + " messages by key and unique key, " + shared.size() + " shared keys");

            // Committed offsets of the group, as the other broker left them.
            DefaultMQPullConsumer g = pullConsumer(ns, GROUP);
            try {
                for (Map.Entry<String, Long> e : man.committed.entrySet()) {
                    String[] tq = e.getKey().split("\t");
                    MessageQueue mq = new MessageQueue(tq[0], bn, Integer.parseInt(tq[1]));
                    long got = g.fetchConsumeOffset(mq, true);
                    check(got == e.getValue(), "committed offset " + mq + " = " + got + ", want " + e.getValue());
                }
            } finally {
                g.shutdown();
            }
        } finally {
            c.shutdown();
        }
        resume(ns, man, byQueue);
        appendAndRead(ns, man);
    }

    /** Query by key; "no message" (the client throws for it) is an empty result. */
    static QueryResult queryKey(DefaultMQPullConsumer c, String topic, String key, int max) throws Exception {
        try {
            return c.queryMessage(topic, key, max, 0, Long.MAX_VALUE);
        } catch (org.apache.rocketmq.client.exception.MQClientException e) {
            return new QueryResult(0, new ArrayList<>());
        }
    }

    static void waitForTopics(DefaultMQPullConsumer c, String bn) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        for (String t : TOPICS) {
            while (true) {
                try {
                    if (!c.fetchSubscribeMessageQueues(t).isEmpty()) {
                        break;
                    }
                } catch (Exception e) {
                    if (System.currentTimeMillis() > deadline) {
                        throw e;
                    }
                }
                Thread.sleep(200);
            }
        }
    }

    static void checkMessage(MessageExt m, Sent s, String where) {
        check(m.getTopic().equals(s.topic), where + ": topic " + m.getTopic());
        check(m.getQueueId() == s.queue, where + ": queue " + m.getQueueId());
        check(m.getQueueOffset() == s.offset, where + ": offset " + m.getQueueOffset());
        if (s.pulledMsgId != null) {
            check(s.pulledMsgId.equals(m.getMsgId()), where + ": msgId " + m.getMsgId() + " want " + s.pulledMsgId);
        }
        check(eq(s.tags, m.getTags()), where + ": tags " + m.getTags() + " want " + s.tags);
        check(eq(s.keys, m.getKeys()), where + ": keys " + m.getKeys() + " want " + s.keys);
        check(Integer.toString(s.seq).equals(m.getUserProperty("seq")), where + ": seq " + m.getUserProperty("seq"));
        check(eq(s.note, m.getUserProperty("note")), where + ": note " + m.getUserProperty("note"));
        check(m.getUserProperty("origin") != null, where + ": no origin property");
        // The client clears COMPRESSED_FLAG when it inflates the body; the compression type bits
        // (zlib = 3 << 8) stay and tell that the record was stored compressed.
        boolean compressed = (m.getSysFlag() & (MessageSysFlag.COMPRESSED_FLAG | 0x700)) == 0x300;
        check(compressed == (!s.batch && s.bodyLen > 4096), where + ": sysFlag " + m.getSysFlag());
        byte[] want = body(s.topic, s.seq, s.bodyLen);
        check(Arrays.equals(want, m.getBody()), where + ": body differs (len " + m.getBody().length + " want " + want.length + ")");
    }

    static boolean eq(String a, String b) {
        return a == null ? b == null : a.equals(b);
    }

    /** A push consumer of the group must get exactly the messages past the committed offsets. */
    static void resume(String ns, Manifest man, Map<String, Map<Long, Sent>> byQueue) throws Exception {
        Set<String> expected = new HashSet<>();
        Set<String> topics = new HashSet<>();
        for (Map.Entry<String, Long> e : man.committed.entrySet()) {
            topics.add(e.getKey().split("\t")[0]);
            for (Sent s : byQueue.get(e.getKey()).values()) {
                if (s.offset >= e.getValue()) {
                    expected.add(s.topic + "/" + s.queue + "/" + s.offset);
                }
            }
        }
        Set<String> got = ConcurrentHashMap.newKeySet();
        List<String> early = Collections.synchronizedList(new ArrayList<>());
        Map<String, Long> committed = man.committed;
        DefaultMQPushConsumer p = new DefaultMQPushConsumer(GROUP);
        p.setNamesrvAddr(ns);
        p.setInstanceName("sc-push-" + ProcessHandle.current().pid());
        for (String t : topics) {
            p.subscribe(t, "*");
        }
        p.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                String k = m.getTopic() + "/" + m.getQueueId() + "/" + m.getQueueOffset();
                Long c = committed.get(m.getTopic() + "\t" + m.getQueueId());
                if (c == null || m.getQueueOffset() < c) {
                    early.add(k);
                }
                got.add(k);
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        p.start();
        try {
            long deadline = System.currentTimeMillis() + 45_000;
            while (!got.containsAll(expected) && System.currentTimeMillis() < deadline) {
                Thread.sleep(200);
            }
            Thread.sleep(1500);
        } finally {
            p.shutdown();
        }
        Set<String> missing = new HashSet<>(expected);
        missing.removeAll(got);
        check(missing.isEmpty(), "resume: " + missing.size() + " of " + expected.size() + " not delivered, e.g. "
            + missing.stream().limit(3).toList());
        check(early.isEmpty(), "resume: delivered before the committed offset: " + early.stream().limit(3).toList());
        say("group " + GROUP + " resumed: " + got.size() + " messages after the committed offsets");
    }

    /** New sends on the opened store continue the queues and read back. */
    static void appendAndRead(String ns, Manifest man) throws Exception {
        String bn = man.brokerName;
        Map<String, Long> before = new LinkedHashMap<>();
        for (Sent s : man.sent) {
            before.merge(s.topic + "\t" + s.queue, s.offset + 1, Math::max);
        }
        DefaultMQProducer producer = new DefaultMQProducer("sc_producer2");
        producer.setNamesrvAddr(ns);
        producer.setInstanceName("sc-producer2-" + ProcessHandle.current().pid());
        producer.setSendMsgTimeout(10_000);
        producer.start();
        List<Sent> added = new ArrayList<>();
        try {
            for (int t = 0; t < TOPICS.length; t++) {
                for (int i = 0; i < 2 * QUEUES[t]; i++) {
                    int seq = 50_000 + i;
                    Message m = message(TOPICS[t], t, seq, "append");
                    SendResult r = producer.send(m, new MessageQueue(TOPICS[t], bn, i % QUEUES[t]));
                    check(r.getSendStatus() == SendStatus.SEND_OK, "append send " + r);
                    Sent s = record(m, seq, 3, false);
                    s.queue = i % QUEUES[t];
                    s.offset = r.getQueueOffset();
                    s.msgId = r.getMsgId();
                    s.pulledMsgId = s.msgId;
                    long want = before.get(TOPICS[t] + "\t" + s.queue) + i / QUEUES[t];
                    check(s.offset == want, "append " + TOPICS[t] + "/" + s.queue + " got offset " + s.offset + ", want " + want);
                    added.add(s);
                }
            }
        } finally {
            producer.shutdown();
        }
        DefaultMQPullConsumer c = pullConsumer(ns, "sc_verify2");
        try {
            for (Sent s : added) {
                MessageQueue mq = new MessageQueue(s.topic, bn, s.queue);
                List<MessageExt> got = pullRange(c, mq, "*", s.offset, s.offset + 1);
                check(got.size() == 1, "appended " + mq + "@" + s.offset + " not pullable");
                if (got.size() == 1) {
                    checkMessage(got.get(0), s, "appended " + mq + "@" + s.offset);
                }
                if (s.keys != null) {
                    String k = s.keyList()[0];
                    long deadline = System.currentTimeMillis() + 10_000;
                    boolean found = false;
                    while (!found && System.currentTimeMillis() < deadline) {
                        found = queryKey(c, s.topic, k, 32).getMessageList().stream()
                            .anyMatch(m -> m.getMsgId().equals(s.msgId));
                        if (!found) {
                            Thread.sleep(100);
                        }
                    }
                    check(found, "appended message key " + k + " not indexed");
                }
            }
        } finally {
            c.shutdown();
        }
        say("appended and read back " + added.size() + " messages");
    }
}
