package io.ferromq.hacompat;

import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.PullResult;
import org.apache.rocketmq.client.consumer.PullStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.impl.CommunicationMode;
import org.apache.rocketmq.client.impl.MQClientAPIImpl;
import org.apache.rocketmq.client.impl.consumer.PullResultExt;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.filter.ExpressionType;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageClientExt;
import org.apache.rocketmq.common.message.MessageDecoder;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.common.sysflag.PullSysFlag;
import org.apache.rocketmq.remoting.protocol.body.ClusterInfo;
import org.apache.rocketmq.remoting.protocol.header.PullMessageRequestHeader;
import org.apache.rocketmq.remoting.protocol.header.QueryConsumerOffsetRequestHeader;
import org.apache.rocketmq.remoting.protocol.header.UpdateConsumerOffsetRequestHeader;
import org.apache.rocketmq.remoting.protocol.route.BrokerData;
import org.apache.rocketmq.remoting.protocol.route.QueueData;
import org.apache.rocketmq.remoting.protocol.route.TopicRouteData;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;
import org.apache.rocketmq.auth.config.AuthConfig;
import org.apache.rocketmq.broker.out.BrokerOuterAPI;
import org.apache.rocketmq.remoting.netty.NettyClientConfig;
import org.apache.rocketmq.remoting.protocol.body.ConsumerOffsetSerializeWrapper;
import org.apache.rocketmq.remoting.protocol.body.SubscriptionGroupWrapper;
import org.apache.rocketmq.remoting.protocol.body.TopicConfigAndMappingSerializeWrapper;
import org.apache.rocketmq.remoting.protocol.subscription.SubscriptionGroupConfig;
import org.apache.rocketmq.broker.schedule.DelayOffsetSerializeWrapper;

/**
 * Replication compatibility client: a master/slave broker set where one side is FerroMQ and the
 * other Apache RocketMQ 5.3.3, checked with the official 5.3.3 client only.
 *
 * <pre>
 * produce  NS MANIFEST TOPIC BROKER MASTER SLAVE COUNT ORIGIN CREATE
 *     wait until the NameServer lists MASTER (id 0) and SLAVE (id 1) as BROKER; create TOPIC (4
 *     queues) on the master, or on both when CREATE=both, and on the master a subscription group
 *     with a committed offset; send one message and wait until the slave holds it (the HA link is
 *     up); send the rest (COUNT in all); wait until the slave's CommitLog and queues end where the
 *     master's do; then pull every queue raw from the master address and from the slave address:
 *     each stored record must be the same bytes on both and decode to what was sent (body, tags,
 *     keys, properties, msgId, offsetMsgId, queue offset). Writes MANIFEST.
 * metadata-answers MASTER TOPIC
 *     the master's answers to what a Java slave's SlaveSynchronize asks, decoded as it does.
 * metadata-synced  NS SLAVE TOPIC BROKER
 *     the slave copied the topic, the group and its offset from the master by itself.
 * failover NS MANIFEST TOPIC BROKER SLAVE
 *     after the master was killed: wait until the route names only the slave, then a new push
 *     consumer group (CONSUME_FROM_FIRST_OFFSET) must receive every message of MANIFEST, intact.
 * sync-up   NS TOPIC BROKER MASTER SLAVE COUNT
 *     a SYNC_MASTER with inSyncReplicas=2 and its slave: COUNT sends return SEND_OK, each
 *     already in the slave's CommitLog when acknowledged.
 * sync-down NS TOPIC BROKER MASTER
 *     the slave is gone: sends return FLUSH_SLAVE_TIMEOUT after about slaveTimeout (3 s) and
 *     stay stored on the master.
 * </pre>
 */
public final class HaCompat {
    static final int QUEUES = 4;
    static final String[] TAGS = {"TagA", "TagB", "Tag\u2713\uD83D\uDE00", null};
    static final String GROUP_PROGRESS = "ha_progress";
    static final long COMMITTED = 7;

    static int failures = 0;

    static void say(String line) {
        System.out.println("[ha-compat] " + line);
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            failures++;
            if (failures <= 50) {
                say("MISMATCH: " + what);
            }
        }
    }

    static void fail(String what) {
        check(false, what);
        finish();
    }

    static void finish() {
        if (failures > 0) {
            say("FAILED: " + failures + " mismatches");
            System.exit(1);
        }
        say("OK");
        System.exit(0);
    }

    public static void main(String[] args) throws Exception {
        switch (args.length > 0 ? args[0] : "") {
            case "produce" -> produce(args[1], Path.of(args[2]), args[3], args[4], args[5], args[6],
                Integer.parseInt(args[7]), args[8], "both".equals(args[9]));
            case "metadata-answers" -> metadataAnswers(args[1], args[2]);
            case "metadata-synced" -> slaveSynced(args[1], args[2], args[3], args[4]);
            case "failover" -> failover(args[1], Path.of(args[2]), args[3], args[4], args[5]);
            case "sync-up" -> syncUp(args[1], args[2], args[3], args[4], args[5], Integer.parseInt(args[6]));
            case "sync-down" -> syncDown(args[1], args[2], args[3], args[4]);
            default -> {
                System.err.println("usage: produce|failover|sync ... (see HaCompat's doc)");
                System.exit(2);
            }
        }
        finish();
    }

    // ---------------------------------------------------------------- content

    /** Bodies: random bytes (incompressible), every 5th over 32 KiB; some compressible text. */
    static byte[] body(String origin, int seq) {
        Random r = new Random(seq * 7919L + origin.hashCode());
        int kind = seq % 10;
        if (kind == 3) {
            byte[] pat = (origin + ":" + seq + ";").getBytes(StandardCharsets.US_ASCII);
            byte[] b = new byte[5000 + r.nextInt(15000)];
            for (int i = 0; i < b.length; i++) {
                b[i] = pat[i % pat.length];
            }
            return b;
        }
        int len = kind == 0 || kind == 5 ? 33 * 1024 + r.nextInt(60 * 1024) : 1 + r.nextInt(2000);
        byte[] b = new byte[len];
        r.nextBytes(b);
        return b;
    }

    static String tags(int seq) {
        return TAGS[seq % TAGS.length];
    }

    static String keys(String origin, int seq) {
        if (seq % 7 == 6) {
            return null;
        }
        String k = "k-" + origin + "-" + seq;
        return seq % 3 == 0 ? k + " g-" + origin + "-" + (seq % 5) : k;
    }

    /** User properties: always seq and origin, some a UTF-8 note, some a 1000-char value. */
    static Map<String, String> props(String origin, int seq) {
        Map<String, String> p = new TreeMap<>();
        p.put("seq", Integer.toString(seq));
        p.put("origin", origin);
        if (seq % 4 == 0) {
            p.put("note", "h\u00e9llo w\u00f6rld \u2713 #" + seq);
        }
        if (seq % 9 == 0) {
            p.put("long", "x".repeat(990) + String.format("%010d", seq));
        }
        return p;
    }

    static Message message(String topic, String origin, int seq) {
        Message m = new Message(topic, body(origin, seq));
        if (tags(seq) != null) {
            m.setTags(tags(seq));
        }
        if (keys(origin, seq) != null) {
            m.setKeys(Arrays.asList(keys(origin, seq).split(" ")));
        }
        props(origin, seq).forEach(m::putUserProperty);
        return m;
    }

    /** One sent message: where it landed and the ids the broker answered with. */
    record Sent(int seq, int queue, long offset, String msgId, String offsetMsgId) {
    }

    static boolean eq(Object a, Object b) {
        return a == null ? b == null : a.equals(b);
    }

    /** A stored or delivered message against what was sent as (origin, seq). */
    static void checkMessage(MessageExt m, String topic, String origin, Sent s, String where) {
        check(topic.equals(m.getTopic()), where + ": topic " + m.getTopic());
        check(m.getQueueId() == s.queue, where + ": queue " + m.getQueueId() + " want " + s.queue);
        check(m.getQueueOffset() == s.offset, where + ": queue offset " + m.getQueueOffset() + " want " + s.offset);
        check(s.msgId.equals(m.getMsgId()), where + ": msgId " + m.getMsgId() + " want " + s.msgId);
        if (m instanceof MessageClientExt c) {
            check(s.offsetMsgId.equals(c.getOffsetMsgId()), where + ": offsetMsgId " + c.getOffsetMsgId()
                + " want " + s.offsetMsgId);
        }
        check(eq(tags(s.seq), m.getTags()), where + ": tags " + m.getTags());
        check(eq(keys(origin, s.seq), m.getKeys()), where + ": keys " + m.getKeys());
        for (Map.Entry<String, String> e : props(origin, s.seq).entrySet()) {
            check(e.getValue().equals(m.getUserProperty(e.getKey())), where + ": property " + e.getKey() + " = "
                + m.getUserProperty(e.getKey()));
        }
        byte[] want = body(origin, s.seq);
        check(Arrays.equals(want, m.getBody()), where + ": body differs (len " + (m.getBody() == null ? -1
            : m.getBody().length) + " want " + want.length + ")");
    }

    // ---------------------------------------------------------------- helpers

    static DefaultMQAdminExt admin(String ns) throws Exception {
        DefaultMQAdminExt admin = new DefaultMQAdminExt();
        admin.setNamesrvAddr(ns);
        admin.setInstanceName("ha-admin-" + ProcessHandle.current().pid());
        admin.start();
        return admin;
    }

    static MQClientAPIImpl api(DefaultMQAdminExt admin) {
        return admin.getDefaultMQAdminExtImpl().getMqClientInstance().getMQClientAPIImpl();
    }

    static String seconds(long t0) {
        return String.format("%.1f s", (System.nanoTime() - t0) / 1e9);
    }

    /** Waits until the NameServer lists MASTER as id 0 and SLAVE as id 1 of BROKER. */
    static void waitBrokers(DefaultMQAdminExt admin, String bn, String master, String slave) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        Map<Long, String> want = new HashMap<>();
        want.put(0L, master);
        want.put(1L, slave);
        Map<Long, String> got = null;
        while (System.currentTimeMillis() < deadline) {
            ClusterInfo ci = admin.examineBrokerClusterInfo();
            BrokerData bd = ci.getBrokerAddrTable().get(bn);
            got = bd == null ? null : new HashMap<>(bd.getBrokerAddrs());
            if (want.equals(got)) {
                return;
            }
            Thread.sleep(300);
        }
        fail("the NameServer lists " + bn + " as " + got + ", want " + want);
    }

    static long runtime(DefaultMQAdminExt admin, String addr, String key) throws Exception {
        String v = admin.fetchBrokerRuntimeStats(addr).getTable().get(key);
        if (v == null) {
            fail(addr + " runtime info has no " + key);
        }
        return Long.parseLong(v);
    }

    static long maxOffset(MQClientAPIImpl api, String addr, String topic, String bn, int q) throws Exception {
        return api.getMaxOffset(addr, new MessageQueue(topic, bn, q), 5_000);
    }

    /**
     * Waits until the slave's CommitLog ends where the master's does and its queues hold what the
     * master's do; returns whether it did within the time.
     */
    static boolean caughtUp(DefaultMQAdminExt admin, String topic, String bn, String master, String slave,
        long[] want, long millis) throws Exception {
        MQClientAPIImpl api = api(admin);
        long deadline = System.currentTimeMillis() + millis;
        String last = "";
        while (System.currentTimeMillis() < deadline) {
            long m = runtime(admin, master, "commitLogMaxOffset");
            long s = runtime(admin, slave, "commitLogMaxOffset");
            boolean queues = true;
            StringBuilder qs = new StringBuilder();
            for (int q = 0; q < QUEUES; q++) {
                long got = maxOffset(api, slave, topic, bn, q);
                qs.append(' ').append(got).append('/').append(want[q]);
                queues &= got == want[q];
            }
            if (m == s && queues) {
                return true;
            }
            last = "slave CommitLog at " + s + " of " + m + ", slave queues" + qs;
            Thread.sleep(50);
        }
        say("not caught up: " + last);
        return false;
    }

    /**
     * Every record of a queue up to {@code end}, pulled straight from {@code addr} (no route, no
     * redirect): queue offset to the raw stored bytes. Retries while the broker answers that it
     * does not know the topic yet (a slave's metadata sync) or asks for a retry.
     */
    static Map<Long, byte[]> rawQueue(MQClientAPIImpl api, String addr, String topic, String bn, int q, long end)
        throws Exception {
        Map<Long, byte[]> out = new TreeMap<>();
        long off = 0;
        long deadline = System.currentTimeMillis() + 30_000;
        String last = "";
        while (off < end) {
            if (System.currentTimeMillis() > deadline) {
                check(false, "pull " + topic + "/" + q + "@" + off + " from " + addr + ": " + last);
                break;
            }
            PullMessageRequestHeader h = new PullMessageRequestHeader();
            h.setConsumerGroup("ha_verify");
            h.setTopic(topic);
            h.setQueueId(q);
            h.setQueueOffset(off);
            h.setMaxMsgNums(32);
            h.setSysFlag(PullSysFlag.buildSysFlag(false, false, true, false));
            h.setCommitOffset(0L);
            h.setSuspendTimeoutMillis(0L);
            h.setSubscription("*");
            h.setSubVersion(0L);
            h.setExpressionType(ExpressionType.TAG);
            h.setBrokerName(bn);
            PullResult r;
            try {
                r = api.pullMessage(addr, h, 10_000, CommunicationMode.SYNC, null);
            } catch (MQBrokerException e) {
                last = "code " + e.getResponseCode() + " " + e.getErrorMessage();
                Thread.sleep(200);
                continue;
            }
            if (r.getPullStatus() != PullStatus.FOUND) {
                last = r.getPullStatus() + " next " + r.getNextBeginOffset();
                Thread.sleep(100);
                continue;
            }
            byte[] bin = ((PullResultExt) r).getMessageBinary();
            ByteBuffer bb = ByteBuffer.wrap(bin);
            long next = off;
            while (bb.remaining() >= 4) {
                int size = bb.getInt(bb.position());
                if (size <= 0 || size > bb.remaining()) {
                    check(false, "pull " + topic + "/" + q + "@" + off + " from " + addr + ": bad record size " + size);
                    return out;
                }
                byte[] rec = Arrays.copyOfRange(bin, bb.position(), bb.position() + size);
                bb.position(bb.position() + size);
                MessageExt m = MessageDecoder.decode(ByteBuffer.wrap(rec), false, false, false, false, false);
                if (m == null) {
                    check(false, "pull " + topic + "/" + q + " from " + addr + ": undecodable record");
                    return out;
                }
                out.put(m.getQueueOffset(), rec);
                next = Math.max(next, m.getQueueOffset() + 1);
            }
            if (next <= off) {
                check(false, "pull " + topic + "/" + q + "@" + off + " from " + addr + " did not advance");
                break;
            }
            off = next;
        }
        return out;
    }

    static void waitRoute(DefaultMQAdminExt admin, String topic, String bn) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            try {
                TopicRouteData rd = admin.examineTopicRouteInfo(topic);
                for (QueueData qd : rd.getQueueDatas()) {
                    if (qd.getBrokerName().equals(bn) && qd.getWriteQueueNums() == QUEUES) {
                        return;
                    }
                }
            } catch (Exception e) {
                // not yet
            }
            Thread.sleep(200);
        }
        fail("no route of " + topic + " on " + bn);
    }

    static DefaultMQProducer producer(String ns, String group) throws Exception {
        DefaultMQProducer p = new DefaultMQProducer(group);
        p.setNamesrvAddr(ns);
        p.setInstanceName(group + "-" + ProcessHandle.current().pid());
        p.setSendMsgTimeout(15_000);
        p.setRetryTimesWhenSendFailed(0);
        p.start();
        return p;
    }

    // ---------------------------------------------------------------- produce

    static void produce(String ns, Path manifest, String topic, String bn, String master, String slave, int count,
        String origin, boolean createOnBoth) throws Exception {
        DefaultMQAdminExt admin = admin(ns);
        MQClientAPIImpl api = api(admin);
        waitBrokers(admin, bn, master, slave);
        admin.createAndUpdateTopicConfig(master, new TopicConfig(topic, QUEUES, QUEUES, 6));
        if (createOnBoth) {
            admin.createAndUpdateTopicConfig(slave, new TopicConfig(topic, QUEUES, QUEUES, 6));
        }
        // Metadata for the slave to copy: a subscription group and a committed consumer offset.
        admin.createAndUpdateSubscriptionGroupConfig(master, progressGroup());
        UpdateConsumerOffsetRequestHeader u = new UpdateConsumerOffsetRequestHeader();
        u.setConsumerGroup(GROUP_PROGRESS);
        u.setTopic(topic);
        u.setQueueId(0);
        u.setCommitOffset(COMMITTED);
        u.setBrokerName(bn);
        api.updateConsumerOffset(master, u, 5_000);
        waitRoute(admin, topic, bn);

        DefaultMQProducer producer = producer(ns, "ha_producer_" + origin);
        List<Sent> sent = new ArrayList<>();
        long[] want = new long[QUEUES];
        long t0 = System.nanoTime();
        for (int seq = 0; seq < count; seq++) {
            int q = seq % QUEUES;
            SendResult r = producer.send(message(topic, origin, seq), new MessageQueue(topic, bn, q));
            if (r.getSendStatus() != SendStatus.SEND_OK) {
                fail("send " + seq + ": " + r);
            }
            check(r.getQueueOffset() == want[q], "send " + seq + " landed at " + q + "@" + r.getQueueOffset()
                + ", want " + want[q]);
            want[q] = r.getQueueOffset() + 1;
            sent.add(new Sent(seq, r.getMessageQueue().getQueueId(), r.getQueueOffset(), r.getMsgId(),
                r.getOffsetMsgId()));
            if (seq == 0) {
                // The first message waits for the HA link: a slave that connects late starts at the
                // master's last CommitLog file, and the rest would not all be in the first one.
                if (!caughtUp(admin, topic, bn, master, slave, want, 60_000)) {
                    fail("the slave did not copy the first message in 60 s");
                }
                say("HA link up: the slave holds the first message after " + seconds(t0));
            }
        }
        producer.shutdown();
        long bytes = runtime(admin, master, "commitLogMaxOffset");
        say("sent " + count + " messages to " + master + " (" + bytes + " CommitLog bytes, "
            + (bytes / (1 << 20) + 1) + "+ files)");

        long t1 = System.nanoTime();
        if (!caughtUp(admin, topic, bn, master, slave, want, 60_000)) {
            fail("the slave did not catch up in 60 s");
        }
        say("slave caught up " + seconds(t1) + " after the last send (CommitLog end "
            + runtime(admin, slave, "commitLogMaxOffset") + ", queue ends " + Arrays.toString(want) + ")");

        // Every record from both addresses: same bytes, and what was sent.
        int compared = 0;
        int mismatchesBefore = failures;
        for (int q = 0; q < QUEUES; q++) {
            Map<Long, byte[]> m = rawQueue(api, master, topic, bn, q, want[q]);
            Map<Long, byte[]> s = rawQueue(api, slave, topic, bn, q, want[q]);
            check(m.size() == want[q], "master queue " + q + ": " + m.size() + " records of " + want[q]);
            check(s.size() == want[q], "slave queue " + q + ": " + s.size() + " records of " + want[q]);
            for (Sent x : sent) {
                if (x.queue != q) {
                    continue;
                }
                byte[] a = m.get(x.offset);
                byte[] b = s.get(x.offset);
                String where = "queue " + q + "@" + x.offset + " (seq " + x.seq + ")";
                if (a == null || b == null) {
                    check(false, where + ": missing on the " + (a == null ? "master" : "slave"));
                    continue;
                }
                check(Arrays.equals(a, b), where + ": the slave's record differs from the master's ("
                    + b.length + " vs " + a.length + " bytes)");
                MessageExt d = MessageDecoder.decode(ByteBuffer.wrap(b), true, true, true, false, true);
                if (d == null) {
                    check(false, where + ": the slave's record does not decode (or its body CRC is wrong)");
                    continue;
                }
                checkMessage(d, topic, origin, x, "slave " + where);
                compared++;
            }
        }
        say("read back " + compared + " of " + count + " records from the slave address, byte-equal to the master's: "
            + (failures - mismatchesBefore) + " mismatches");

        admin.shutdown();

        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(manifest, StandardCharsets.UTF_8))) {
            w.print("origin\t" + origin + "\n");
            for (Sent x : sent) {
                w.print(x.seq + "\t" + x.queue + "\t" + x.offset + "\t" + x.msgId + "\t" + x.offsetMsgId + "\n");
            }
        }
    }

    static SubscriptionGroupConfig progressGroup() {
        SubscriptionGroupConfig g = new SubscriptionGroupConfig();
        g.setGroupName(GROUP_PROGRESS);
        g.setRetryMaxTimes(5);
        return g;
    }

    /**
     * What a Java 5.3.3 slave's SlaveSynchronize gets from this master, fetched and decoded with
     * the very calls it makes (BrokerOuterAPI: GET_ALL_TOPIC_CONFIG over the VIP port,
     * GET_ALL_CONSUMER_OFFSET, GET_ALL_DELAY_OFFSET, GET_ALL_SUBSCRIPTIONGROUP_CONFIG) and
     * checked for what it dereferences: every table and its dataVersion. (The Java slave syncs
     * them once a minute only, too slow to wait for here.)
     */
    static void metadataAnswers(String master, String topic) throws Exception {
        BrokerOuterAPI out = new BrokerOuterAPI(new NettyClientConfig(), new AuthConfig());
        out.start();
        try {
            int before = failures;
            TopicConfigAndMappingSerializeWrapper t = out.getAllTopicConfig(master);
            check(t.getDataVersion() != null, "GET_ALL_TOPIC_CONFIG: no dataVersion");
            TopicConfig tc = t.getTopicConfigTable() == null ? null : t.getTopicConfigTable().get(topic);
            check(tc != null && tc.getWriteQueueNums() == QUEUES, "GET_ALL_TOPIC_CONFIG: " + topic + " = " + tc);
            ConsumerOffsetSerializeWrapper o = out.getAllConsumerOffset(master);
            check(o.getDataVersion() != null, "GET_ALL_CONSUMER_OFFSET: no dataVersion (a Java slave's "
                + "SlaveSynchronize.syncConsumerOffset throws a NullPointerException on it: offsets never sync)");
            Map<Integer, Long> q = o.getOffsetTable() == null ? null : o.getOffsetTable().get(topic + "@" + GROUP_PROGRESS);
            check(q != null && Long.valueOf(COMMITTED).equals(q.get(0)), "GET_ALL_CONSUMER_OFFSET: " + topic + "@"
                + GROUP_PROGRESS + " = " + q);
            String d = out.getAllDelayOffset(master);
            DelayOffsetSerializeWrapper dw = d == null ? null : DelayOffsetSerializeWrapper.fromJson(d,
                DelayOffsetSerializeWrapper.class);
            check(dw != null && dw.getOffsetTable() != null, "GET_ALL_DELAY_OFFSET: " + d);
            SubscriptionGroupWrapper g = out.getAllSubscriptionGroupConfig(master);
            check(g.getDataVersion() != null, "GET_ALL_SUBSCRIPTIONGROUP_CONFIG: no dataVersion");
            check(g.getSubscriptionGroupTable() != null && g.getSubscriptionGroupTable().containsKey(GROUP_PROGRESS),
                "GET_ALL_SUBSCRIPTIONGROUP_CONFIG: no group " + GROUP_PROGRESS);
            say("metadata a Java slave syncs (codes 21/43/45/201) decoded from the master: " + (failures - before)
                + " mismatches");
            // A Java 5.3.3 slave also asks for these (GET_TIMER_CHECK_POINT every 3 s,
            // GET_TIMER_METRICS and GET_ALL_MESSAGE_REQUEST_MODE once a minute) and only logs an
            // error when they fail: reported, not counted.
            List<String> unanswered = new ArrayList<>();
            try {
                out.getTimerCheckPoint(master);
            } catch (Exception e) {
                unanswered.add("60 GET_TIMER_CHECK_POINT (" + e.getMessage().split("\n")[0].trim() + ")");
            }
            try {
                out.getTimerMetrics(master);
            } catch (Exception e) {
                unanswered.add("61 GET_TIMER_METRICS");
            }
            try {
                out.getAllMessageRequestMode(master);
            } catch (Exception e) {
                unanswered.add("402 GET_ALL_MESSAGE_REQUEST_MODE");
            }
            if (!unanswered.isEmpty()) {
                say("note (not a failure): the master does not answer " + String.join(", ", unanswered)
                    + "; a Java slave logs an error for each");
            }
        } finally {
            out.shutdown();
        }
    }

    /** The slave copied the topic, the group and its committed offset from the master itself. */
    static void slaveSynced(String ns, String slave, String topic, String bn) throws Exception {
        DefaultMQAdminExt admin = admin(ns);
        MQClientAPIImpl api = api(admin);
        long t0 = System.nanoTime();
        long deadline = System.currentTimeMillis() + 30_000;
        long got = -2;
        TopicConfig tc = null;
        SubscriptionGroupConfig sg = null;
        while (System.currentTimeMillis() < deadline) {
            QueryConsumerOffsetRequestHeader h = new QueryConsumerOffsetRequestHeader();
            h.setConsumerGroup(GROUP_PROGRESS);
            h.setTopic(topic);
            h.setQueueId(0);
            h.setBrokerName(bn);
            try {
                got = api.queryConsumerOffset(slave, h, 5_000);
            } catch (MQBrokerException e) {
                got = -e.getResponseCode();
            }
            try {
                tc = admin.examineTopicConfig(slave, topic);
                sg = admin.examineSubscriptionGroupConfig(slave, GROUP_PROGRESS);
            } catch (Exception e) {
                // not yet
            }
            if (got == COMMITTED && tc != null && sg != null) {
                break;
            }
            Thread.sleep(250);
        }
        check(got == COMMITTED, "the slave's offset of " + GROUP_PROGRESS + " on queue 0 is " + got + ", want "
            + COMMITTED + " (metadata sync from the master)");
        check(tc != null && tc.getWriteQueueNums() == QUEUES, "the slave's config of " + topic + ": " + tc);
        check(sg != null && sg.getRetryMaxTimes() == 5, "the slave's group " + GROUP_PROGRESS + ": " + sg);
        say("the slave synced the topic, group " + GROUP_PROGRESS + " and its offset from the master ("
            + seconds(t0) + " after the check began)");
        admin.shutdown();
    }

    // ---------------------------------------------------------------- failover

    static void failover(String ns, Path manifest, String topic, String bn, String slave) throws Exception {
        String origin = null;
        Map<String, Sent> byId = new HashMap<>();
        for (String line : Files.readAllLines(manifest, StandardCharsets.UTF_8)) {
            String[] f = line.split("\t", -1);
            if (f[0].equals("origin")) {
                origin = f[1];
            } else {
                byId.put(f[3], new Sent(Integer.parseInt(f[0]), Integer.parseInt(f[1]), Long.parseLong(f[2]), f[3], f[4]));
            }
        }
        DefaultMQAdminExt admin = admin(ns);
        long t0 = System.nanoTime();
        long deadline = System.currentTimeMillis() + 60_000;
        Map<Long, String> addrs = null;
        while (System.currentTimeMillis() < deadline) {
            TopicRouteData rd = admin.examineTopicRouteInfo(topic);
            addrs = null;
            for (BrokerData bd : rd.getBrokerDatas()) {
                if (bd.getBrokerName().equals(bn)) {
                    addrs = new HashMap<>(bd.getBrokerAddrs());
                }
            }
            if (addrs != null && addrs.equals(Map.of(1L, slave))) {
                break;
            }
            Thread.sleep(250);
        }
        if (addrs == null || !addrs.equals(Map.of(1L, slave))) {
            fail("the route of " + topic + " names " + addrs + " for " + bn + ", want only the slave {1=" + slave + "}");
        }
        say("the route names only the slave " + seconds(t0) + " after the master was killed");
        admin.shutdown();

        String group = "ha_failover_" + origin;
        Map<String, MessageExt> got = new ConcurrentHashMap<>();
        AtomicInteger deliveries = new AtomicInteger();
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(group);
        c.setNamesrvAddr(ns);
        c.setInstanceName(group + "-" + ProcessHandle.current().pid());
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                deliveries.incrementAndGet();
                got.putIfAbsent(m.getMsgId(), m);
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        long t1 = System.nanoTime();
        c.start();
        deadline = System.currentTimeMillis() + 60_000;
        while (got.size() < byId.size() && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        String took = seconds(t1);
        Thread.sleep(500);
        c.shutdown();
        int before = failures;
        for (Sent s : byId.values()) {
            MessageExt m = got.get(s.msgId);
            if (m == null) {
                check(false, "not delivered from the slave: seq " + s.seq + " (" + s.queue + "@" + s.offset + ")");
                continue;
            }
            checkMessage(m, topic, origin, s, "delivered " + s.queue + "@" + s.offset);
        }
        for (String id : got.keySet()) {
            check(byId.containsKey(id), "delivered a message that was never sent: " + id);
        }
        say("consumer group " + group + " got " + got.size() + " of " + byId.size() + " messages from the slave in "
            + took + " (" + deliveries.get() + " deliveries): " + (failures - before) + " mismatches");
    }

    // ---------------------------------------------------------------- sync

    static void syncUp(String ns, String topic, String bn, String master, String slave, int count) throws Exception {
        DefaultMQAdminExt admin = admin(ns);
        MQClientAPIImpl api = api(admin);
        waitBrokers(admin, bn, master, slave);
        admin.createAndUpdateTopicConfig(master, new TopicConfig(topic, QUEUES, QUEUES, 6));
        waitRoute(admin, topic, bn);
        DefaultMQProducer producer = producer(ns, "ha_producer_sync");
        MessageQueue mq = new MessageQueue(topic, bn, 0);

        // Until the slave is linked, a send waits slaveTimeout and times out: retry until one is
        // acknowledged by the slave.
        long t0 = System.nanoTime();
        long deadline = System.currentTimeMillis() + 60_000;
        int gate = 0;
        while (true) {
            SendResult r = producer.send(message(topic, "sync", 100_000 + gate++), mq);
            if (r.getSendStatus() == SendStatus.SEND_OK) {
                break;
            }
            check(r.getSendStatus() == SendStatus.FLUSH_SLAVE_TIMEOUT, "before the slave linked: " + r.getSendStatus());
            if (System.currentTimeMillis() > deadline) {
                fail("no SEND_OK from the SYNC_MASTER within 60 s (the slave never acknowledged)");
            }
        }
        say("SYNC_MASTER: first SEND_OK after " + seconds(t0) + " (" + gate + " sends)");

        long worst = 0;
        for (int i = 0; i < count; i++) {
            long t = System.nanoTime();
            SendResult r = producer.send(message(topic, "sync", i), mq);
            worst = Math.max(worst, System.nanoTime() - t);
            check(r.getSendStatus() == SendStatus.SEND_OK, "send " + i + " with the slave up: " + r.getSendStatus());
            long phys = MessageDecoder.decodeMessageId(r.getOffsetMsgId()).getOffset();
            long slaveEnd = runtime(admin, slave, "commitLogMaxOffset");
            check(slaveEnd > phys, "send " + i + " acknowledged before the slave held it (slave CommitLog ends at "
                + slaveEnd + ", the message starts at " + phys + ")");
        }
        say(String.format("SYNC_MASTER with the slave up: %d sends SEND_OK, each already in the slave's CommitLog "
            + "(slowest %.0f ms)", count, worst / 1e6));

        producer.shutdown();
        admin.shutdown();
    }

    static void syncDown(String ns, String topic, String bn, String master) throws Exception {
        DefaultMQAdminExt admin = admin(ns);
        MQClientAPIImpl api = api(admin);
        DefaultMQProducer producer = producer(ns, "ha_producer_sync");
        MessageQueue mq = new MessageQueue(topic, bn, 0);
        for (int i = 0; i < 2; i++) {
            long before = maxOffset(api, master, topic, bn, 0);
            long t = System.nanoTime();
            SendResult r = producer.send(message(topic, "sync", 1000 + i), mq);
            double ms = (System.nanoTime() - t) / 1e6;
            check(r.getSendStatus() == SendStatus.FLUSH_SLAVE_TIMEOUT,
                "send " + i + " with the slave gone: " + r.getSendStatus() + ", want FLUSH_SLAVE_TIMEOUT");
            check(ms >= 2_500 && ms <= 8_000, String.format("send %d with the slave gone answered after %.0f ms, "
                + "want about slaveTimeout (3000 ms)", i, ms));
            check(r.getQueueOffset() == before && maxOffset(api, master, topic, bn, 0) == before + 1,
                "send " + i + " with the slave gone is not stored on the master at " + before);
            say(String.format("SYNC_MASTER with the slave gone: send %d -> %s after %.0f ms", i, r.getSendStatus(), ms));
        }
        producer.shutdown();
        admin.shutdown();
    }
}
