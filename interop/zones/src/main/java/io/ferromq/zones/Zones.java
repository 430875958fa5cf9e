package io.ferromq.zones;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.remoting.protocol.admin.TopicOffset;
import org.apache.rocketmq.remoting.protocol.admin.TopicStatsTable;
import org.apache.rocketmq.remoting.protocol.body.ClusterInfo;
import org.apache.rocketmq.remoting.protocol.body.KVTable;
import org.apache.rocketmq.remoting.protocol.heartbeat.MessageModel;
import org.apache.rocketmq.remoting.protocol.route.BrokerData;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

/**
 * The "zones on one machine" failure test, driven only through the official RocketMQ 5.3.3 Java
 * client. Runs inside the client network namespace that ../zones.sh builds; the failures are
 * injected by calling back into the script ({@code $ZONES_CTL kill-a-master | cut-b | heal-b}).
 *
 * <pre>
 * setup    both broker sets registered with master and slave; ZoneTopic (4 queues on each
 *          master) created; one warm-up send acknowledged SEND_OK by each SYNC_MASTER (so its
 *          slave is connected and acknowledging); push consumer group zones_live started.
 * run A    a producer thread sends synchronously (ZONES_RATE msg/s) and records every outcome;
 *          once both sets acked and broker-a's slave knows ZoneTopic, kill -9 broker-a's
 *          master; a second push consumer group (zones_late) starts after the kill, so all it
 *          gets from broker-a comes from broker-a's slave; production goes on.
 * run B    nftables cut between broker-b's master and its slave while producing; sends to
 *          broker-b must come back FLUSH_SLAVE_TIMEOUT, never SEND_OK; the producer stops,
 *          the link heals, and broker-b's slave must reach the master's max offset on every
 *          queue; a short burst afterwards must be acked SEND_OK by broker-b again.
 * drain    both groups must consume every SEND_OK message (and the FLUSH_SLAVE_TIMEOUT ones,
 *          which the master stored) at least once.
 * </pre>
 *
 * Exit status 0 only if every check holds; the figures are printed either way.
 */
public final class Zones {
    static final String TOPIC = "ZoneTopic";
    static final String WARM = "ZoneWarmup";
    static final int QUEUES = 4;
    static final String A = "broker-a", B = "broker-b";
    static final String LIVE = "zones_live", LATE = "zones_late";

    /** One synchronous send: when it started/returned, how, and where it landed. */
    record Outcome(String key, long start, long end, String status, String broker, int queue, long offset) {
        boolean ok() {
            return status.equals("SEND_OK");
        }

        String phaseOf() {
            return key.substring(0, 1);
        }
    }

    /** What one consumer group received: key -> times received, first time, broker. */
    static final class Group {
        final String name;
        final Map<String, AtomicInteger> count = new ConcurrentHashMap<>();
        final Map<String, Long> first = new ConcurrentHashMap<>();
        final Map<String, String> broker = new ConcurrentHashMap<>();
        final AtomicLong receipts = new AtomicLong();
        final AtomicLong corrupt = new AtomicLong();
        DefaultMQPushConsumer consumer;

        Group(String name) {
            this.name = name;
        }
    }

    final String namesrv = env("ZONES_NAMESRV");
    final String aMaster = env("ZONES_A_MASTER"), aSlave = env("ZONES_A_SLAVE");
    final String bMaster = env("ZONES_B_MASTER"), bSlave = env("ZONES_B_SLAVE");
    final String ctl = env("ZONES_CTL");
    final Path out = Path.of(env("ZONES_OUT"));
    final int rate = intEnv("ZONES_RATE", 200);
    final int beforeKill = intEnv("ZONES_BEFORE_KILL", 8);
    final int afterKill = intEnv("ZONES_AFTER_KILL", 12);
    final int partition = intEnv("ZONES_PARTITION", 25);
    final int afterHeal = intEnv("ZONES_AFTER_HEAL", 3);
    final int catchUpLimit = intEnv("ZONES_CATCHUP_LIMIT", 60);
    final int drainLimit = intEnv("ZONES_DRAIN_LIMIT", 90);

    final List<Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
    final Map<String, Long> events = new LinkedHashMap<>();
    final List<String> problems = new ArrayList<>();
    final AtomicInteger seq = new AtomicInteger();
    final Group live = new Group(LIVE), late = new Group(LATE);
    volatile String phase = "A";
    volatile boolean producing;
    final long t0 = System.currentTimeMillis();

    DefaultMQAdminExt admin;
    DefaultMQProducer producer;

    public static void main(String[] args) throws Exception {
        Zones z = new Zones();
        int rc;
        try {
            rc = z.run();
        } catch (Throwable e) {
            say("ABORTED: " + e);
            e.printStackTrace(System.out);
            rc = 3;
        }
        z.shutdown();
        System.out.flush();
        Runtime.getRuntime().halt(rc);
    }

    int run() throws Exception {
        admin = new DefaultMQAdminExt();
        admin.setNamesrvAddr(namesrv);
        admin.setInstanceName("zones-admin");
        admin.setAdminExtGroup("zones_admin");
        admin.start();

        // --- setup ------------------------------------------------------------------------
        waitFor("both broker sets registered (master + slave)", 60, this::setsRegistered);
        for (String m : List.of(aMaster, bMaster)) {
            admin.createAndUpdateTopicConfig(m, new TopicConfig(TOPIC, QUEUES, QUEUES, 6));
            admin.createAndUpdateTopicConfig(m, new TopicConfig(WARM, 1, 1, 6));
        }
        producer = new DefaultMQProducer("zones_producer");
        producer.setNamesrvAddr(namesrv);
        producer.setInstanceName("zones-producer");
        // A SYNC_MASTER answers FLUSH_SLAVE_TIMEOUT after slaveTimeout (3 s); the client's own
        // default timeout (3 s) would race it and turn that answer into a client-side timeout.
        producer.setSendMsgTimeout(10_000);
        producer.start();
        for (String broker : List.of(A, B)) {
            waitFor("a warm-up send acknowledged SEND_OK by " + broker, 60, () -> warm(broker));
        }
        start(live);
        say(String.format("setup done in %.1f s: %s master %s slave %s, %s master %s slave %s", secs(t0),
                A, aMaster, aSlave, B, bMaster, bSlave));

        // --- run A: kill -9 broker-a's master under load ---------------------------------
        Thread p = startProducer("A");
        Thread.sleep(beforeKill * 1000L);
        waitFor("acks from both sets", 30, () -> acked(A) > 0 && acked(B) > 0);
        waitFor(A + "'s slave knows " + TOPIC + " (metadata sync)", 40, () -> stats(aSlave) != null);
        event("killStart");
        ctl("kill-a-master");
        event("killDone");
        Thread.sleep(1000);
        start(late);
        Thread.sleep(Math.max(0, afterKill * 1000L - 1000));

        // --- run B: cut broker-b's slave from its master -----------------------------------
        phase = "B";
        event("cutStart");
        ctl("cut-b");
        event("cutDone");
        Thread.sleep(partition * 1000L);
        stopProducer(p);   // sends in flight finish (FLUSH_SLAVE_TIMEOUT after 3 s) before the heal
        event("producerStopped");
        Map<Integer, Long> masterAtHeal = maxOffsets(bMaster);
        Map<Integer, Long> slaveAtHeal = maxOffsets(bSlave);
        event("healStart");
        ctl("heal-b");
        event("healDone");
        long lagAtHeal = lag(masterAtHeal, slaveAtHeal);
        say("heal: " + B + " master " + masterAtHeal + ", slave " + slaveAtHeal);
        Long caughtUp = null;
        long deadline = System.currentTimeMillis() + catchUpLimit * 1000L;
        Map<Integer, Long> slaveNow = slaveAtHeal;
        while (System.currentTimeMillis() < deadline) {
            slaveNow = maxOffsets(bSlave);
            if (slaveNow != null && slaveNow.equals(masterAtHeal)) {
                caughtUp = System.currentTimeMillis();
                break;
            }
            Thread.sleep(100);
        }
        if (caughtUp != null) {
            events.put("caughtUp", caughtUp);
        } else {
            problems.add(B + "'s slave did not catch up within " + catchUpLimit + " s of the heal: master "
                    + masterAtHeal + ", slave " + slaveNow);
        }
        String runtime = runtimeOffsets();
        phase = "C";
        event("afterHealStart");
        p = startProducer("C");
        Thread.sleep(afterHeal * 1000L);
        stopProducer(p);
        event("afterHealDone");

        // --- drain -------------------------------------------------------------------------
        Map<String, Outcome> expected = new TreeMap<>();
        synchronized (outcomes) {
            for (Outcome o : outcomes) {
                if (o.ok() || o.status.equals("FLUSH_SLAVE_TIMEOUT")) {
                    expected.put(o.key, o);
                }
            }
        }
        long drainStart = System.currentTimeMillis();
        waitQuietly(drainLimit, () -> missing(live, expected) == 0 && missing(late, expected) == 0);
        double drainSecs = secs(drainStart);
        Thread.sleep(1000);   // late duplicates
        writeFiles();
        return report(expected, lagAtHeal, drainSecs, runtime);
    }

    // --- figures -------------------------------------------------------------------------------

    int report(Map<String, Outcome> expected, long lagAtHeal, double drainSecs, String runtime) {
        long kill = events.get("killStart"), killDone = events.get("killDone");
        long cut = events.get("cutStart"), cutDone = events.get("cutDone");
        long heal = events.get("healStart");
        List<Outcome> all;
        synchronized (outcomes) {
            all = new ArrayList<>(outcomes);
        }
        // run A
        long aBefore = count(all, o -> o.ok() && o.broker.equals(A) && o.end < kill);
        long bBefore = count(all, o -> o.ok() && o.broker.equals(B) && o.end < kill);
        long aAfter = count(all, o -> o.ok() && o.broker.equals(A) && o.start > killDone);
        long bAfterKill = count(all, o -> o.ok() && o.broker.equals(B) && o.start >= kill && o.start < cut);
        List<Outcome> windowA = all.stream().filter(o -> o.start >= kill && o.start < cut).toList();
        long failsA = windowA.stream().filter(o -> !o.ok()).count();
        long lastFailEnd = windowA.stream().filter(o -> !o.ok()).mapToLong(Outcome::end).max().orElse(kill);
        OptionalLong firstOk = windowA.stream().filter(o -> o.ok() && o.start >= lastFailEnd).mapToLong(Outcome::end).min();
        Long okAgain = firstOk.isPresent() ? firstOk.getAsLong() : null;
        long maxGap = maxAckGap(all, kill - 1000, cut);
        // run B
        long fst = count(all, o -> o.status.equals("FLUSH_SLAVE_TIMEOUT"));
        long okBduringCut = count(all, o -> o.ok() && o.broker.equals(B) && o.start > cutDone && o.start < heal);
        long otherBfails = count(all, o -> !o.ok() && !o.status.equals("FLUSH_SLAVE_TIMEOUT") && o.start >= cut && o.start < heal);
        long okBafterHeal = count(all, o -> o.ok() && o.broker.equals(B) && o.start >= events.get("afterHealStart"));
        long fstAfterHeal = count(all, o -> o.status.equals("FLUSH_SLAVE_TIMEOUT") && o.start >= events.get("afterHealStart"));
        Long caught = events.get("caughtUp");
        // statuses
        Map<String, Long> statuses = new TreeMap<>();
        for (Outcome o : all) {
            statuses.merge(o.phaseOf() + ":" + o.status, 1L, Long::sum);
        }

        long acked = count(all, Outcome::ok);
        say("");
        say("figures (one synchronous producer, " + rate + " msg/s at most)");
        say(String.format("  sends                     %d (SEND_OK %d), by phase:status %s", all.size(), acked, statuses));
        say("  run A  kill -9 " + A + " master");
        say(String.format("    acked before the kill     %s %d, %s %d", A, aBefore, B, bBefore));
        say(String.format("    acked after the kill      %s %d, %s %d (within %d s)", A, aAfter, B, bAfterKill, (cut - kill) / 1000));
        say(String.format("    failed sends after kill   %d", failsA));
        say(String.format("    sends OK again after      %s s (longest gap between acks around the kill %.3f s)",
                okAgain == null ? "never" : String.format("%.3f", (okAgain - kill) / 1000.0), maxGap / 1000.0));
        say("  run B  " + B + "'s slave cut from its master for " + String.format("%.1f", (heal - cut) / 1000.0) + " s");
        say(String.format("    FLUSH_SLAVE_TIMEOUT       %d (other failures during the cut %d)", fst, otherBfails));
        say(String.format("    SEND_OK from %s in cut %d", B, okBduringCut));
        say(String.format("    slave behind at heal      %d messages", lagAtHeal));
        say(String.format("    slave caught up after     %s", caught == null ? "NEVER (limit " + catchUpLimit + " s)"
                : String.format("%.2f s", (caught - heal) / 1000.0)));
        say(String.format("    after catch-up            SEND_OK from %s %d, FLUSH_SLAVE_TIMEOUT %d; %s", B, okBafterHeal,
                fstAfterHeal, runtime));
        say(String.format("  consumers (drain took %.1f s)", drainSecs));
        say(String.format("    %-11s %7s %8s %5s %10s %12s %15s", "group", "acked", "consumed", "lost", "duplicated",
                "a-from-slave", "FLUSH_SLAVE_TO"));
        for (Group g : List.of(live, late)) {
            long consumed = all.stream().filter(o -> o.ok() && g.count.containsKey(o.key)).count();
            long lost = acked - consumed;
            long dup = g.receipts.get() - g.count.size();
            long fromSlave = all.stream().filter(o -> o.ok() && o.broker.equals(A) && g.first.getOrDefault(o.key, 0L) > killDone)
                    .count();
            long fstConsumed = all.stream().filter(o -> o.status.equals("FLUSH_SLAVE_TIMEOUT") && g.count.containsKey(o.key))
                    .count();
            say(String.format("    %-11s %7d %8d %5d %10d %12d %15s", g.name, acked, consumed, lost, dup, fromSlave,
                    fstConsumed + "/" + fst));
            if (lost > 0) {
                List<String> sample = all.stream().filter(o -> o.ok() && !g.count.containsKey(o.key)).limit(10)
                        .map(o -> o.key + "@" + o.broker + "/" + o.queue + "/" + o.offset).toList();
                problems.add(g.name + " lost " + lost + " acknowledged messages, e.g. " + sample);
            }
            if (g.corrupt.get() > 0) {
                problems.add(g.name + " received " + g.corrupt.get() + " messages whose body does not match their key");
            }
            if (fstConsumed < fst) {
                problems.add(g.name + " never received " + (fst - fstConsumed)
                        + " FLUSH_SLAVE_TIMEOUT messages (stored on the master, Java semantics)");
            }
        }
        // the failures must have happened for the test to mean anything
        if (aBefore == 0 || bBefore == 0) {
            problems.add("ZoneTopic was not spread over both sets before the kill");
        }
        if (aAfter > 0) {
            problems.add(A + " acknowledged " + aAfter + " sends started after its master was killed");
        }
        if (bAfterKill == 0) {
            problems.add("no send was acknowledged by " + B + " after the kill (producer did not route around "
                    + A + ")");
        }
        if (fst == 0) {
            problems.add("no FLUSH_SLAVE_TIMEOUT while " + B + "'s slave was cut off");
        }
        if (okBduringCut > 0) {
            problems.add(B + " acknowledged " + okBduringCut + " sends SEND_OK while its only slave was cut off"
                    + " (inSyncReplicas=2)");
        }
        if (caught != null && okBafterHeal == 0) {
            problems.add(B + " acknowledged nothing SEND_OK after its slave caught up");
        }
        say("");
        if (problems.isEmpty()) {
            say("PASS");
            return 0;
        }
        for (String pr : problems) {
            say("FAIL: " + pr);
        }
        return 1;
    }

    interface Pred {
        boolean test(Outcome o);
    }

    static long count(List<Outcome> all, Pred p) {
        return all.stream().filter(p::test).count();
    }

    /** The longest time without any SEND_OK coming back, within [from, to). */
    static long maxAckGap(List<Outcome> all, long from, long to) {
        List<Long> ends = all.stream().filter(o -> o.ok() && o.end >= from && o.end < to).map(Outcome::end).sorted().toList();
        long prev = from, gap = 0;
        for (long e : ends) {
            gap = Math.max(gap, e - prev);
            prev = e;
        }
        return Math.max(gap, to - prev);
    }

    static long lag(Map<Integer, Long> master, Map<Integer, Long> slave) {
        if (master == null || slave == null) {
            return -1;
        }
        long l = 0;
        for (var e : master.entrySet()) {
            l += e.getValue() - slave.getOrDefault(e.getKey(), 0L);
        }
        return l;
    }

    long acked(String broker) {
        synchronized (outcomes) {
            return outcomes.stream().filter(o -> o.ok() && o.broker.equals(broker)).count();
        }
    }

    long missing(Group g, Map<String, Outcome> expected) {
        return expected.keySet().stream().filter(k -> !g.count.containsKey(k)).count();
    }

    // --- client plumbing -----------------------------------------------------------------------

    boolean setsRegistered() throws Exception {
        ClusterInfo ci = admin.examineBrokerClusterInfo();
        BrokerData a = ci.getBrokerAddrTable().get(A), b = ci.getBrokerAddrTable().get(B);
        return a != null && b != null && aMaster.equals(a.getBrokerAddrs().get(0L)) && aSlave.equals(a.getBrokerAddrs().get(1L))
                && bMaster.equals(b.getBrokerAddrs().get(0L)) && bSlave.equals(b.getBrokerAddrs().get(1L));
    }

    boolean warm(String broker) {
        try {
            SendResult r = producer.send(new Message(WARM, "warm", ("warm " + broker).getBytes(StandardCharsets.UTF_8)),
                    new MessageQueue(WARM, broker, 0));
            return r.getSendStatus() == SendStatus.SEND_OK;
        } catch (Exception e) {
            return false;
        }
    }

    void start(Group g) throws Exception {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(g.name);
        c.setNamesrvAddr(namesrv);
        c.setInstanceName(g.name);
        c.setMessageModel(MessageModel.CLUSTERING);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(TOPIC, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            long now = System.currentTimeMillis();
            for (MessageExt m : msgs) {
                String k = m.getKeys();
                if (!new String(m.getBody(), StandardCharsets.UTF_8).equals("zones " + k)) {
                    g.corrupt.incrementAndGet();
                }
                g.receipts.incrementAndGet();
                g.count.computeIfAbsent(k, x -> new AtomicInteger()).incrementAndGet();
                g.first.putIfAbsent(k, now);
                g.broker.putIfAbsent(k, ctx.getMessageQueue().getBrokerName());
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        g.consumer = c;
        event("start " + g.name);
    }

    Thread startProducer(String ph) {
        phase = ph;
        producing = true;
        Thread t = new Thread(this::produce, "zones-producer-" + ph);
        t.start();
        return t;
    }

    void stopProducer(Thread t) throws InterruptedException {
        producing = false;
        t.join(30_000);
        if (t.isAlive()) {
            throw new IllegalStateException("a synchronous send did not return within 30 s");
        }
    }

    void produce() {
        long interval = 1_000_000_000L / rate;
        long next = System.nanoTime();
        int exceptionsShown = 0;
        while (producing) {
            String key = String.format("%s-%06d", phase, seq.incrementAndGet());
            Message m = new Message(TOPIC, "zones", key, ("zones " + key).getBytes(StandardCharsets.UTF_8));
            long start = System.currentTimeMillis();
            try {
                SendResult r = producer.send(m);
                outcomes.add(new Outcome(key, start, System.currentTimeMillis(), r.getSendStatus().name(),
                        r.getMessageQueue().getBrokerName(), r.getMessageQueue().getQueueId(), r.getQueueOffset()));
            } catch (Exception e) {
                outcomes.add(new Outcome(key, start, System.currentTimeMillis(), "EXCEPTION", "-", -1, -1));
                if (exceptionsShown++ < 5) {
                    say("send " + key + " failed: " + e);
                }
            }
            next += interval;
            long sleep = next - System.nanoTime();
            if (sleep > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(sleep);
                } catch (InterruptedException e) {
                    return;
                }
            } else {
                next = System.nanoTime();
            }
        }
    }

    /** Max offset per queue of ZoneTopic on one broker address, or null if it cannot say. */
    Map<Integer, Long> maxOffsets(String addr) {
        TopicStatsTable t = stats(addr);
        if (t == null) {
            return null;
        }
        Map<Integer, Long> m = new TreeMap<>();
        for (Map.Entry<MessageQueue, TopicOffset> e : t.getOffsetTable().entrySet()) {
            m.put(e.getKey().getQueueId(), e.getValue().getMaxOffset());
        }
        return m;
    }

    TopicStatsTable stats(String addr) {
        try {
            return admin.getDefaultMQAdminExtImpl().getMqClientInstance().getMQClientAPIImpl()
                    .getTopicStatsInfo(addr, TOPIC, 3000);
        } catch (Exception e) {
            return null;
        }
    }

    /** commitLogMaxOffset of broker-b's master and slave (runtime info), as a note. */
    String runtimeOffsets() {
        StringBuilder sb = new StringBuilder("commitLogMaxOffset");
        for (var e : Map.of("master", bMaster, "slave", bSlave).entrySet().stream().sorted(Map.Entry.comparingByKey()).toList()) {
            String v;
            try {
                KVTable kv = admin.fetchBrokerRuntimeStats(e.getValue());
                v = kv.getTable().getOrDefault("commitLogMaxOffset", "n/a");
            } catch (Exception ex) {
                v = "n/a";
            }
            sb.append(' ').append(e.getKey()).append(' ').append(v);
        }
        return sb.toString();
    }

    void ctl(String action) throws Exception {
        Process pr = new ProcessBuilder(ctl, action).inheritIO().start();
        if (!pr.waitFor(30, TimeUnit.SECONDS) || pr.exitValue() != 0) {
            throw new IllegalStateException(ctl + " " + action + " failed");
        }
    }

    void event(String name) {
        long now = System.currentTimeMillis();
        events.put(name, now);
        say(String.format("t=%6.2f s  %s", (now - t0) / 1000.0, name));
    }

    interface Check {
        boolean ok() throws Exception;
    }

    void waitFor(String what, int seconds, Check c) throws Exception {
        if (!waitQuietly(seconds, c)) {
            throw new IllegalStateException("not within " + seconds + " s: " + what);
        }
    }

    boolean waitQuietly(int seconds, Check c) throws InterruptedException {
        long deadline = System.currentTimeMillis() + seconds * 1000L;
        while (true) {
            try {
                if (c.ok()) {
                    return true;
                }
            } catch (Exception e) {
                // not yet
            }
            if (System.currentTimeMillis() > deadline) {
                return false;
            }
            Thread.sleep(200);
        }
    }

    void writeFiles() throws IOException {
        Files.createDirectories(out);
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out.resolve("sends.tsv")))) {
            w.println("key\tstart_ms\tend_ms\tstatus\tbroker\tqueue\toffset");
            synchronized (outcomes) {
                for (Outcome o : outcomes) {
                    w.printf("%s\t%d\t%d\t%s\t%s\t%d\t%d%n", o.key, o.start, o.end, o.status, o.broker, o.queue, o.offset);
                }
            }
        }
        for (Group g : List.of(live, late)) {
            try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out.resolve("consumed-" + g.name + ".tsv")))) {
                w.println("key\ttimes\tfirst_ms\tbroker");
                for (var e : new TreeMap<>(g.count).entrySet()) {
                    w.printf("%s\t%d\t%d\t%s%n", e.getKey(), e.getValue().get(), g.first.get(e.getKey()), g.broker.get(e.getKey()));
                }
            }
        }
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out.resolve("events.tsv")))) {
            events.forEach((k, v) -> w.printf("%s\t%d%n", k, v));
        }
    }

    void shutdown() {
        for (Group g : List.of(live, late)) {
            if (g.consumer != null) {
                try {
                    g.consumer.shutdown();
                } catch (Exception e) {
                    // best effort
                }
            }
        }
        if (producer != null) {
            producer.shutdown();
        }
        if (admin != null) {
            admin.shutdown();
        }
    }

    static double secs(long since) {
        return (System.currentTimeMillis() - since) / 1000.0;
    }

    static void say(String line) {
        System.out.println("[zones] " + line);
    }

    static String env(String name) {
        String v = System.getenv(name);
        if (v == null || v.isEmpty()) {
            throw new IllegalArgumentException("environment variable " + name + " is not set");
        }
        return v;
    }

    static int intEnv(String name, int dflt) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? dflt : Integer.parseInt(v);
    }
}
