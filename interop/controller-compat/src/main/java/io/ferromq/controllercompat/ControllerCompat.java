package io.ferromq.controllercompat;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageDecoder;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.remoting.protocol.EpochEntry;
import org.apache.rocketmq.remoting.protocol.body.BrokerReplicasInfo;
import org.apache.rocketmq.remoting.protocol.body.ClusterInfo;
import org.apache.rocketmq.remoting.protocol.body.EpochEntryCache;
import org.apache.rocketmq.remoting.protocol.header.controller.GetMetaDataResponseHeader;
import org.apache.rocketmq.remoting.protocol.heartbeat.MessageModel;
import org.apache.rocketmq.remoting.protocol.route.BrokerData;
import org.apache.rocketmq.remoting.protocol.route.TopicRouteData;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

/**
 * Controller-mode failover of two Apache RocketMQ 5.3.3 brokers (one broker set) on three
 * {@code ferromq controller}s, driven only through the official 5.3.3 client and admin API.
 * Processes are started and killed by calling back into ../controller-compat.sh's control script
 * ({@code $CC_CTL kill-broker I | start-broker I | kill-controller I}).
 *
 * <pre>
 * 1 roles      the NameServer lists one broker as id 0 (master) and the other as a slave
 *              (its controller-assigned id).
 * 2 admin      getControllerMetaData on every controller: one group, one leader all agree on,
 *              isLeader only on the leader, every peer listed; getInSyncStateData (1005 + 1006)
 *              through a follower: the master, masterEpoch >= 1, both brokers in sync and alive;
 *              getBrokerEpochCache (1007) of both brokers: the same epochs, the last one the
 *              controller's masterEpoch.
 * 3 failover   a synchronous producer sends all along (CC_RATE msg/s, every outcome recorded,
 *              the broker that stored a message read from its offsetMsgId); kill -9 the master;
 *              the time until the route names the other broker id 0 and until the first SEND_OK
 *              stored by it must each be <= CC_FAILOVER_LIMIT (10) s. Group cc_first
 *              (CONSUME_FROM_FIRST_OFFSET) starts.
 * 4 rejoin     the killed broker restarts on its old store: it must come back as a slave (its
 *              controller id, not 0), rejoin the SyncStateSet and hold the master's epochs.
 *              With the producer paused, both CommitLogs must end at the same offset (a tail
 *              the killed master never replicated is truncated by Java's epoch logic).
 * 5 controller kill -9 the controller leader: another one must lead, the controller state must
 *              have survived, sends go on without a failure; then kill -9 the master again: the
 *              rejoined broker must be master within the limit and take writes. Group cc_last
 *              starts. The producer stops; both groups must consume every SEND_OK message.
 * </pre>
 * Exit status 0 only if every check holds; the figures are printed either way.
 */
public final class ControllerCompat {
    static final String TOPIC = "CtlTopic";
    static final int QUEUES = 4;
    static final int LAG_COUNT = 5, LAG_SIZE = 200 * 1024;

    /** One synchronous send: when it started/returned, how, and which broker stored it. */
    record Outcome(int seq, long start, long end, String status, String addr) {
        boolean ok() {
            return status.equals("SEND_OK");
        }
    }

    /** What one consumer group received: seq -> times received. */
    static final class Group {
        final String name;
        final Map<Integer, AtomicInteger> count = new ConcurrentHashMap<>();
        final AtomicLong receipts = new AtomicLong();
        final AtomicLong corrupt = new AtomicLong();
        final AtomicLong lag = new AtomicLong();
        DefaultMQPushConsumer consumer;

        Group(String name) {
            this.name = name;
        }
    }

    /** A failover as measured: kill, route shows the new master, first SEND_OK stored by it. */
    static final class Failover {
        final String name;
        String from, to;
        long kill;
        Long routed, controllerSays, firstWrite, gap;
        long failed, slaveEndAtFreeze = -1, masterEndAtKill = -1;

        Failover(String name) {
            this.name = name;
        }
    }

    final String namesrv = env("CC_NAMESRV");
    final List<String> controllers = Arrays.asList(env("CC_CONTROLLERS").split(";"));
    final List<String> brokers = Arrays.asList(env("CC_BROKERS").split(";"));
    final String brokerName = env("CC_BROKER_NAME");
    final String cluster = env("CC_CLUSTER");
    final String group = env("CC_CONTROLLER_GROUP");
    final String ctl = env("CC_CTL");
    final Path out = Path.of(env("CC_OUT"));
    final int rate = intEnv("CC_RATE", 100);
    final int failoverLimit = intEnv("CC_FAILOVER_LIMIT", 10);
    final int drainLimit = intEnv("CC_DRAIN_LIMIT", 40);

    final List<Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
    final Map<String, Long> events = Collections.synchronizedMap(new LinkedHashMap<>());
    final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger seq = new AtomicInteger();
    final Group first = new Group("cc_first"), last = new Group("cc_last");
    final Set<Integer> deadControllers = ConcurrentHashMap.newKeySet();
    final List<Failover> failovers = new ArrayList<>();
    volatile boolean producing, paused, idle;
    final long t0 = System.currentTimeMillis();

    DefaultMQAdminExt admin;
    DefaultMQProducer producer;
    Watcher watcher;

    public static void main(String[] args) throws Exception {
        ControllerCompat c = new ControllerCompat();
        int rc;
        try {
            rc = c.run();
        } catch (Throwable e) {
            say("ABORTED: " + e);
            e.printStackTrace(System.out);
            c.figures();
            for (String p : c.problems) {
                say("FAIL: " + p);
            }
            rc = 3;
        }
        try {
            c.writeFiles();
        } catch (Exception e) {
            say("could not write the record files: " + e);
        }
        c.shutdown();
        System.out.flush();
        Runtime.getRuntime().halt(rc);
    }

    int run() throws Exception {
        admin = new DefaultMQAdminExt(5000);
        admin.setNamesrvAddr(namesrv);
        admin.setInstanceName("cc-admin");
        admin.setAdminExtGroup("cc_admin");
        admin.start();

        // --- 1. roles ---------------------------------------------------------------------
        boolean mixed = System.getenv("CC_MIXED") != null && !System.getenv("CC_MIXED").isEmpty();
        String desc = System.getenv("CC_BROKERS_DESC");
        if (desc == null || desc.isEmpty()) {
            desc = mixed ? "a Java 5.3.3 and a ferromq broker" : "two Java 5.3.3 brokers";
        }
        step("1. " + desc + " on " + (System.getenv("CC_REFERENCE") != null && !System.getenv("CC_REFERENCE").isEmpty()
                ? "Java's own" : "ferromq") + " controllers: one master, one slave");
        waitFor("the NameServer lists one broker as master (id 0) and the other as a slave", 90, this::rolesSettled);
        String master = masterAddr(), slave = other(master);
        long slaveId = slaveIdOf(slave);
        event("roles: master " + master + ", slave " + slave + " (controller id " + slaveId + ")");

        // --- 2. what the controllers say (Java's own admin API) ----------------------------
        step("2. controller metadata, SyncStateSet and epochs through DefaultMQAdminExt");
        String leader = checkControllerMetadata();
        for (String b : brokers) {
            admin.createAndUpdateTopicConfig(b, new TopicConfig(TOPIC, QUEUES, QUEUES, 6));
        }
        String follower = controllers.stream().filter(c -> !c.equals(leader)).findFirst().orElseThrow();
        BrokerReplicasInfo.ReplicasInfo ri = waitForValue("SyncStateSet {master, slave} (via follower " + follower + ")", 40,
                () -> {
                    BrokerReplicasInfo.ReplicasInfo r = replicas(follower);
                    return r != null && inSync(r, master) && inSync(r, slave) ? r : null;
                });
        long masterId = idOf(ri, master);
        say(String.format("getInSyncStateData: masterBrokerId %s, masterAddress %s, masterEpoch %d, syncStateSetEpoch %d, "
                        + "inSync %s, notInSync %s", ri.getMasterBrokerId(), ri.getMasterAddress(), ri.getMasterEpoch(),
                ri.getSyncStateSetEpoch(), ids(ri.getInSyncReplicas()), ids(ri.getNotInSyncReplicas())));
        expect(master.equals(ri.getMasterAddress()), "controller masterAddress " + ri.getMasterAddress() + " != NameServer's master " + master);
        expect(ri.getMasterEpoch() >= 1, "masterEpoch " + ri.getMasterEpoch() + " < 1");
        expect(ri.getSyncStateSetEpoch() >= 1, "syncStateSetEpoch " + ri.getSyncStateSetEpoch() + " < 1");
        expect(Long.valueOf(masterId).equals(ri.getMasterBrokerId()), "masterBrokerId " + ri.getMasterBrokerId()
                + " is not the id listed for " + master + " (" + masterId + ")");
        expect(ri.getNotInSyncReplicas().isEmpty(), "notInSyncReplicas not empty: " + ids(ri.getNotInSyncReplicas()));
        expect(slaveId == idOf(ri, slave), "the NameServer lists the slave as id " + slaveId + ", the controller as " + idOf(ri, slave));
        checkEpochs(master, slave, masterId, slaveId, ri.getMasterEpoch(), "after start");

        // --- 3. kill -9 the master under load ------------------------------------------------
        step("3. kill -9 the master under load");
        producer = new DefaultMQProducer("cc_producer");
        producer.setNamesrvAddr(namesrv);
        producer.setInstanceName("cc-producer");
        producer.setPollNameServerInterval(1000);   // the route is how a client learns the new master
        producer.setSendMsgTimeout(5000);            // > slaveTimeout (3 s): FLUSH_SLAVE_TIMEOUT is an answer, not a timeout
        producer.start();
        watcher = new Watcher();
        watcher.start();
        Thread p = startProducer();
        waitFor("SEND_OK from the master " + master, 30, () -> ackedBy(master, 0) > 0);
        Thread.sleep(3000);
        Failover f1 = failover("failover 1", master, slave, true);
        start(first);
        Thread.sleep(2000);

        // --- 4. the killed broker comes back as a slave ------------------------------------
        step("4. restart the killed broker on its store: a slave of the new master");
        long restart = event("start-broker " + brokers.indexOf(master) + " (" + master + ")");
        ctl("start-broker", brokers.indexOf(master));
        String newMaster = slave, rejoined = master;
        waitFor(rejoined + " registered as a slave of " + newMaster, 90, () -> {
            BrokerData bd = brokerData();
            return bd != null && newMaster.equals(bd.getBrokerAddrs().get(0L)) && bd.getBrokerAddrs().entrySet().stream()
                    .anyMatch(e -> e.getKey() != 0L && rejoined.equals(e.getValue()));
        });
        long asSlave = event(rejoined + " is listed as a slave (id " + slaveIdOf(rejoined) + ")");
        expect(slaveIdOf(rejoined) == masterId, rejoined + " came back as id " + slaveIdOf(rejoined) + ", it had id " + masterId);
        BrokerReplicasInfo.ReplicasInfo ri2 = waitForValue("SyncStateSet regrows to {" + newMaster + ", " + rejoined + "}", 60,
                () -> {
                    BrokerReplicasInfo.ReplicasInfo r = replicas(controllers.get(0));
                    return r != null && newMaster.equals(r.getMasterAddress()) && inSync(r, newMaster) && inSync(r, rejoined) ? r : null;
                });
        long regrown = event("SyncStateSet " + ids(ri2.getInSyncReplicas()) + ", masterEpoch " + ri2.getMasterEpoch()
                + ", syncStateSetEpoch " + ri2.getSyncStateSetEpoch());
        say(String.format("rejoin: slave %.1f s after the restart, in sync %.1f s after it", (asSlave - restart) / 1000.0,
                (regrown - restart) / 1000.0));
        expect(ri2.getMasterEpoch() > ri.getMasterEpoch(), "masterEpoch did not grow across the failover: " + ri.getMasterEpoch()
                + " -> " + ri2.getMasterEpoch());
        checkEpochs(newMaster, rejoined, slaveId, masterId, ri2.getMasterEpoch(), "after the rejoin");
        checkTruncation(f1, rejoined, newMaster, ri2.getMasterEpoch());
        pause(true);
        long[] ends = waitForValue("with the producer paused, both CommitLogs end at the same offset", 15, () -> {
            long m = admin.getBrokerEpochCache(newMaster).getMaxOffset(), s = admin.getBrokerEpochCache(rejoined).getMaxOffset();
            return m == s ? new long[] {m, s} : null;
        });
        pause(false);
        say("producer paused: both CommitLogs end at " + ends[0]);

        // --- 5. kill -9 the controller leader, then the master again ------------------------
        step("5. kill -9 the controller leader; then the master again");
        String ctlLeader = leaderNow();
        int ctlIdx = controllers.indexOf(ctlLeader);
        long ctlKill = event("kill-controller " + ctlIdx + " (" + ctlLeader + ", the leader)", ctl("kill-controller", ctlIdx));
        deadControllers.add(ctlIdx);
        String newLeader = waitForValue("a surviving controller leads", 30, () -> {
            String l = leaderNow();
            return l != null && !l.equals(ctlLeader) ? l : null;
        });
        long led = event("controller leader is now " + newLeader);
        say(String.format("controller leader re-elected after %.2f s", (led - ctlKill) / 1000.0));
        checkControllerMetadata();
        BrokerReplicasInfo.ReplicasInfo ri3 = waitForValue("the new controller leader knows the broker set", 15,
                () -> replicas(newLeader));
        expect(newMaster.equals(ri3.getMasterAddress()) && ri3.getMasterEpoch() == ri2.getMasterEpoch(),
                "the new controller leader lost the state: master " + ri3.getMasterAddress() + " epoch " + ri3.getMasterEpoch()
                        + " (was " + newMaster + " epoch " + ri2.getMasterEpoch() + ")");
        Thread.sleep(3000);
        long failedAfterCtlKill = count(o -> !o.ok() && o.start >= ctlKill);
        long okAfterCtlKill = count(o -> o.ok() && o.start >= ctlKill);
        say(String.format("sends after the controller kill: %d SEND_OK, %d not", okAfterCtlKill, failedAfterCtlKill));
        expect(okAfterCtlKill > 0 && failedAfterCtlKill == 0, "sends after the controller leader's kill: " + okAfterCtlKill
                + " SEND_OK, " + failedAfterCtlKill + " failed");
        ri3 = waitForValue("both brokers in sync before the second kill", 30, () -> {
            BrokerReplicasInfo.ReplicasInfo r = replicas(newLeader);
            return r != null && inSync(r, newMaster) && inSync(r, rejoined) ? r : null;
        });
        failover("failover 2", newMaster, rejoined, false);
        start(last);
        Thread.sleep(3000);
        stopProducer(p);
        event("producer stopped");

        // --- drain ----------------------------------------------------------------------------
        step("consumers: every SEND_OK message, from the broker left");
        Set<Integer> acked;
        synchronized (outcomes) {
            acked = outcomes.stream().filter(Outcome::ok).map(Outcome::seq).collect(Collectors.toSet());
        }
        long drainStart = System.currentTimeMillis();
        say(String.format("at the producer's stop %s misses %d, %s %d of %d acknowledged", first.name, missing(first, acked),
                last.name, missing(last, acked), acked.size()));
        Map<String, Long> done = new TreeMap<>();
        waitQuietly(drainLimit, () -> {
            for (Group g : List.of(first, last)) {
                if (!done.containsKey(g.name) && missing(g, acked) == 0) {
                    done.put(g.name, System.currentTimeMillis() - drainStart);
                }
            }
            return done.size() == 2;
        });
        say(String.format("drain: %s", done.entrySet().stream().map(e -> String.format("%s complete after %.1f s", e.getKey(),
                e.getValue() / 1000.0)).collect(Collectors.joining(", "))));
        Thread.sleep(1000);   // late duplicates
        EpochEntryCache finalCache = admin.getBrokerEpochCache(rejoined);
        say("the broker left: " + epochs(finalCache) + ", maxOffset " + finalCache.getMaxOffset());
        BrokerReplicasInfo.ReplicasInfo ri4 = replicas(newLeader);
        if (ri4 != null) {
            expect(ri4.getMasterEpoch() > ri3.getMasterEpoch(), "masterEpoch did not grow across failover 2");
            expect(lastEpoch(finalCache) == ri4.getMasterEpoch(), "the last master's epoch file ends at "
                    + lastEpoch(finalCache) + ", the controller says masterEpoch " + ri4.getMasterEpoch());
        }
        return report(acked);
    }

    // --- steps ---------------------------------------------------------------------------------

    /**
     * kill -9 `from` (the master) and time until `to` is master by the route and takes writes.
     * With `diverge`, `to` is frozen (SIGSTOP) first and LAG_COUNT big messages are sent oneway,
     * so the master dies holding a tail its slave never got; `to` resumes right after the kill.
     */
    Failover failover(String name, String from, String to, boolean diverge) throws Exception {
        Failover f = new Failover(name);
        f.from = from;
        f.to = to;
        failovers.add(f);
        int idx = brokers.indexOf(from), toIdx = brokers.indexOf(to);
        long killAt;
        if (diverge) {
            f.slaveEndAtFreeze = admin.getBrokerEpochCache(to).getMaxOffset();
            ctl("freeze-broker", toIdx);
            event(name + ": SIGSTOP " + to + " (the slave) at CommitLog end " + f.slaveEndAtFreeze);
            java.util.Random rnd = new java.util.Random(42);
            for (int i = 0; i < LAG_COUNT; i++) {
                byte[] body = new byte[LAG_SIZE];
                rnd.nextBytes(body);
                producer.sendOneway(new Message(TOPIC, "lag", "lag-" + i, body));
            }
            Thread.sleep(500);
            f.masterEndAtKill = admin.getBrokerEpochCache(from).getMaxOffset();
            say(String.format("%s: %d x %d KiB sent oneway; the master's CommitLog ends at %d, %d bytes past the frozen slave's",
                    name, LAG_COUNT, LAG_SIZE / 1024, f.masterEndAtKill, f.masterEndAtKill - f.slaveEndAtFreeze));
            killAt = ctl("kill-broker", idx, toIdx);
        } else {
            killAt = ctl("kill-broker", idx);
        }
        f.kill = event(name + ": kill -9 " + from + " (broker " + idx + ", the master)" + (diverge ? ", SIGCONT " + to : ""), killAt);
        long deadline = f.kill + Math.max(failoverLimit, 20) * 1000L;
        while (System.currentTimeMillis() < deadline && (f.routed == null || f.firstWrite == null || f.controllerSays == null)) {
            if (f.routed == null && (f.routed = watcher.since("route", to, f.kill)) != null) {
                event(name + ": the route names " + to + " id 0", f.routed);
            }
            if (f.controllerSays == null && (f.controllerSays = watcher.since("controller", to, f.kill)) != null) {
                event(name + ": the controller says master " + to, f.controllerSays);
            }
            if (f.firstWrite == null) {
                synchronized (outcomes) {
                    f.firstWrite = outcomes.stream().filter(o -> o.ok() && o.addr.equals(to) && o.start >= f.kill)
                            .map(Outcome::end).min(Long::compare).orElse(null);
                }
                if (f.firstWrite != null) {
                    event(name + ": first SEND_OK stored by " + to, f.firstWrite);
                }
            }
            Thread.sleep(20);
        }
        synchronized (outcomes) {
            long lastOk = outcomes.stream().filter(o -> o.ok() && o.end <= f.kill).mapToLong(Outcome::end).max().orElse(f.kill);
            long upTo = f.firstWrite == null ? Long.MAX_VALUE : f.firstWrite;
            f.failed = outcomes.stream().filter(o -> !o.ok() && o.end >= lastOk && o.start <= upTo).count();
            f.gap = f.firstWrite == null ? null : f.firstWrite - lastOk;
        }
        say(String.format("%s: %s -> %s: master by the route after %s, by the controller after %s, first SEND_OK on it after %s"
                        + " (%d sends failed in between)", name, from, to, secs(f.routed, f.kill), secs(f.controllerSays, f.kill),
                secs(f.firstWrite, f.kill), f.failed));
        expect(f.routed != null && f.routed - f.kill <= failoverLimit * 1000L,
                name + ": the route did not name " + to + " master within " + failoverLimit + " s (" + secs(f.routed, f.kill) + ")");
        expect(f.firstWrite != null && f.firstWrite - f.kill <= failoverLimit * 1000L,
                name + ": no SEND_OK from " + to + " within " + failoverLimit + " s of the kill (" + secs(f.firstWrite, f.kill) + ")");
        return f;
    }

    /**
     * Polls, every 50 ms, who the NameServer's route names id 0 and who the controllers name
     * master (1005 + 1006 through a live controller), and keeps every change with its time.
     */
    final class Watcher extends Thread {
        record Change(String source, String master, long at) {
        }

        final List<Change> changes = Collections.synchronizedList(new ArrayList<>());
        volatile boolean running = true;
        String lastRoute, lastController;

        Watcher() {
            super("cc-watcher");
            setDaemon(true);
        }

        @Override
        public void run() {
            while (running) {
                try {
                    poll();
                } catch (RuntimeException e) {
                    say("watcher: " + e);
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        void poll() {
            TopicRouteData r = route();
            long now = System.currentTimeMillis();
            if (r != null) {
                String m = null;
                for (BrokerData b : r.getBrokerDatas()) {
                    if (b.getBrokerName().equals(brokerName)) {
                        m = b.getBrokerAddrs().get(0L);
                    }
                }
                if (!java.util.Objects.equals(m, lastRoute)) {
                    lastRoute = m;
                    changes.add(new Change("route", m, now));
                }
            }
            for (int i = 0; i < controllers.size(); i++) {
                if (deadControllers.contains(i)) {
                    continue;
                }
                BrokerReplicasInfo.ReplicasInfo ri = replicas(controllers.get(i));
                now = System.currentTimeMillis();
                if (ri != null) {
                    String m = ri.getMasterAddress() == null || ri.getMasterAddress().isEmpty() ? null : ri.getMasterAddress();
                    if (!java.util.Objects.equals(m, lastController)) {
                        lastController = m;
                        changes.add(new Change("controller", m, now));
                    }
                    break;
                }
            }
        }

        /** When `source` first named `master` at or after `since`, if it did. */
        Long since(String source, String master, long since) {
            synchronized (changes) {
                return changes.stream().filter(c -> c.source.equals(source) && master.equals(c.master) && c.at >= since)
                        .map(Change::at).findFirst().orElse(null);
            }
        }
    }

    /** Every controller's 1005 answer: one group, one leader all agree on, every peer listed. */
    String checkControllerMetadata() throws Exception {
        String leader = waitForValue("every live controller names the same leader", 30, () -> {
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < controllers.size(); i++) {
                if (!deadControllers.contains(i)) {
                    seen.add(admin.getControllerMetaData(controllers.get(i)).getControllerLeaderAddress());
                }
            }
            return seen.size() == 1 && !seen.contains(null) && controllers.contains(seen.iterator().next())
                    ? seen.iterator().next() : null;
        });
        for (int i = 0; i < controllers.size(); i++) {
            if (deadControllers.contains(i)) {
                continue;
            }
            String c = controllers.get(i);
            GetMetaDataResponseHeader h = admin.getControllerMetaData(c);
            say(String.format("getControllerMetaData(%s): group %s, leaderId %s, leaderAddress %s, isLeader %s, peers %s", c,
                    h.getGroup(), h.getControllerLeaderId(), h.getControllerLeaderAddress(), h.isLeader(), h.getPeers()));
            expect(group.equals(h.getGroup()), c + ": group " + h.getGroup() + " != " + group);
            expect(h.isLeader() == c.equals(leader), c + ": isLeader " + h.isLeader() + " but the leader is " + leader);
            expect(("n" + controllers.indexOf(leader)).equals(h.getControllerLeaderId()),
                    c + ": controllerLeaderId " + h.getControllerLeaderId() + " for leader " + leader);
            for (int j = 0; j < controllers.size(); j++) {
                String peer = "n" + j + ":" + controllers.get(j);
                expect(h.getPeers() != null && Arrays.asList(h.getPeers().split(";")).contains(peer),
                        c + ": peers " + h.getPeers() + " lack " + peer);
            }
        }
        return leader;
    }

    /**
     * What the rejoined broker's AutoSwitchHAClient logged (store.log) when it met the new master:
     * its own epochs (the last one ending at its CommitLog end) and the truncation point, which
     * must be where the new master's epoch starts, below the end the old master died with.
     */
    void checkTruncation(Failover f, String rejoined, String master, int masterEpoch) throws Exception {
        Path dir = Path.of(env("CC_BROKER_LOGS").split(";")[brokers.indexOf(rejoined)]);
        Path log = dir.resolve("store.log");
        String localEntries = null;
        Long truncateOffset = null;
        boolean success = false;
        long localEnd = -1;
        if (!Files.exists(log)) {
            // A FerroMQ broker (CC_MIXED): one line says where it cut and where its log ended.
            List<Path> logs;
            try (var files = Files.list(dir)) {
                logs = files.filter(p -> p.getFileName().toString().startsWith("broker.log")).sorted().toList();
            }
            var cut = java.util.regex.Pattern.compile("truncated the local log.* at=(\\d+) .*local_end=(\\d+)");
            for (Path p : logs) {
                log = p;
                for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
                    var m = cut.matcher(line);
                    if (m.find()) {
                        truncateOffset = Long.parseLong(m.group(1));
                        localEnd = Long.parseLong(m.group(2));
                        success = true;
                    }
                }
            }
        } else {
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            if (line.contains("local epoch entries is")) {
                localEntries = line;
                truncateOffset = null;
                success = false;
            }
            var m = java.util.regex.Pattern.compile("truncateOffset is (-?\\d+)").matcher(line);
            if (m.find()) {
                truncateOffset = Long.parseLong(m.group(1));
            }
            if (line.contains("Truncate slave log to") && line.contains("success")) {
                success = true;
            }
        }
        if (localEntries != null) {
            var m = java.util.regex.Pattern.compile("endOffset=(\\d+)\\}\\]").matcher(localEntries);
            if (m.find()) {
                localEnd = Long.parseLong(m.group(1));
            }
        }
        }
        EpochEntryCache mc = admin.getBrokerEpochCache(master);
        long epochStart = mc.getEpochList().stream().filter(e -> e.getEpoch() == masterEpoch).map(EpochEntry::getStartOffset)
                .findFirst().orElse(-1L);
        say(String.format("truncation: the old master died at %d (slave frozen at %d), restarted with its CommitLog ending at %d; "
                        + "truncateOffset %s (%s), the new master's epoch %d starts at %d: %s bytes dropped",
                f.masterEndAtKill, f.slaveEndAtFreeze, localEnd, truncateOffset, success ? "done" : "NOT logged as done",
                masterEpoch, epochStart, truncateOffset == null ? "?" : Long.toString(localEnd - truncateOffset)));
        expect(truncateOffset != null && success, rejoined + ": no successful truncation logged in " + log);
        expect(truncateOffset != null && truncateOffset == epochStart, "truncateOffset " + truncateOffset
                + " is not where the new master's epoch " + masterEpoch + " starts (" + epochStart + ")");
        expect(localEnd >= f.masterEndAtKill && truncateOffset != null && truncateOffset < f.masterEndAtKill,
                rejoined + " had no unreplicated tail to drop (died at " + f.masterEndAtKill + ", restarted ending at "
                        + localEnd + ", truncated to " + truncateOffset + ")");
    }

    /** getBrokerEpochCache (1007) of master and slave against the controller's masterEpoch. */
    void checkEpochs(String master, String slave, long masterId, long slaveId, int masterEpoch, String when) throws Exception {
        EpochEntryCache[] both = waitForValue("the slave holds the master's epochs (" + when + ")", 30, () -> {
            EpochEntryCache m = admin.getBrokerEpochCache(master), s = admin.getBrokerEpochCache(slave);
            return pairs(m.getEpochList()).equals(pairs(s.getEpochList())) ? new EpochEntryCache[] {m, s} : null;
        });
        EpochEntryCache m = both[0], s = both[1];
        say(String.format("getBrokerEpochCache %s: master %s brokerId %d %s maxOffset %d; slave %s brokerId %d %s maxOffset %d",
                when, master, m.getBrokerId(), epochs(m), m.getMaxOffset(), slave, s.getBrokerId(), epochs(s), s.getMaxOffset()));
        expect(m.getBrokerId() == 0, master + " (master) reports brokerId " + m.getBrokerId() + " in its epoch cache, not 0");
        expect(s.getBrokerId() == slaveId, slave + " (slave) reports brokerId " + s.getBrokerId() + ", the controller id is " + slaveId);
        expect(brokerName.equals(m.getBrokerName()) && cluster.equals(m.getClusterName()), "epoch cache names "
                + m.getClusterName() + "/" + m.getBrokerName());
        expect(lastEpoch(m) == masterEpoch, "the master's last epoch is " + lastEpoch(m) + ", the controller's masterEpoch "
                + masterEpoch);
    }

    // --- figures -------------------------------------------------------------------------------

    int report(Set<Integer> acked) {
        figures();
        for (Group g : List.of(first, last)) {
            long lost = missing(g, acked);
            if (lost > 0) {
                List<String> sample;
                synchronized (outcomes) {
                    sample = outcomes.stream().filter(o -> o.ok() && !g.count.containsKey(o.seq)).limit(10)
                            .map(o -> o.seq + "@" + o.addr).toList();
                }
                problems.add(g.name + " lost " + lost + " acknowledged messages, e.g. " + sample);
            }
            if (g.corrupt.get() > 0) {
                problems.add(g.name + " received " + g.corrupt.get() + " messages whose body does not match their key");
            }
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

    void figures() {
        List<Outcome> all;
        synchronized (outcomes) {
            all = new ArrayList<>(outcomes);
        }
        Map<String, Long> statuses = new TreeMap<>();
        for (Outcome o : all) {
            statuses.merge(o.status, 1L, Long::sum);
        }
        long acked = all.stream().filter(Outcome::ok).count();
        say("");
        say("figures (one synchronous producer, " + rate + " msg/s at most)");
        say(String.format("  sends                %d: %s", all.size(), statuses));
        for (Failover f : failovers) {
            say(String.format("  %s  %s -> %s: new master in the route after %s, first SEND_OK on it after %s"
                            + " (controller reported it after %s; %d sends failed, no SEND_OK for %s)", f.name, f.from, f.to,
                    secs(f.routed, f.kill), secs(f.firstWrite, f.kill), secs(f.controllerSays, f.kill), f.failed,
                    f.gap == null ? "ever" : String.format("%.2f s", f.gap / 1000.0)));
        }
        say(String.format("  %-9s %7s %8s %5s %10s", "group", "acked", "consumed", "lost", "duplicated"));
        for (Group g : List.of(first, last)) {
            if (g.consumer == null) {
                continue;
            }
            long consumed = all.stream().filter(o -> o.ok() && g.count.containsKey(o.seq)).count();
            long dup = g.receipts.get() - g.count.size();
            say(String.format("  %-9s %7d %8d %5d %10d   (+%d of the %d unacknowledged oneway messages)", g.name, acked,
                    consumed, acked - consumed, dup, g.lag.get(), LAG_COUNT));
        }
    }

    // --- client plumbing -----------------------------------------------------------------------

    BrokerData brokerData() throws Exception {
        ClusterInfo ci = admin.examineBrokerClusterInfo();
        return ci.getBrokerAddrTable().get(brokerName);
    }

    boolean rolesSettled() throws Exception {
        BrokerData bd = brokerData();
        if (bd == null || bd.getBrokerAddrs().size() != 2) {
            return false;
        }
        String m = bd.getBrokerAddrs().get(0L);
        return m != null && brokers.contains(m) && bd.getBrokerAddrs().containsValue(other(m));
    }

    String masterAddr() throws Exception {
        return brokerData().getBrokerAddrs().get(0L);
    }

    String other(String addr) {
        return brokers.get(0).equals(addr) ? brokers.get(1) : brokers.get(0);
    }

    long slaveIdOf(String addr) throws Exception {
        return brokerData().getBrokerAddrs().entrySet().stream().filter(e -> e.getKey() != 0L && addr.equals(e.getValue()))
                .map(Map.Entry::getKey).findFirst().orElse(-1L);
    }

    TopicRouteData route() {
        try {
            return admin.examineTopicRouteInfo(TOPIC);
        } catch (Exception e) {
            return null;
        }
    }

    /** 1005 to `controller` for the leader, then 1006 to the leader (Java's getInSyncStateData). */
    BrokerReplicasInfo.ReplicasInfo replicas(String controller) {
        try {
            return admin.getInSyncStateData(controller, List.of(brokerName)).getReplicasInfoTable().get(brokerName);
        } catch (Exception e) {
            return null;
        }
    }

    /** The leader's address as the first live controller answering 1005 tells it. */
    String leaderNow() {
        for (int i = 0; i < controllers.size(); i++) {
            if (deadControllers.contains(i)) {
                continue;
            }
            try {
                String l = admin.getControllerMetaData(controllers.get(i)).getControllerLeaderAddress();
                if (l != null && !l.isEmpty()) {
                    return l;
                }
            } catch (Exception e) {
                // try the next
            }
        }
        return null;
    }

    static boolean inSync(BrokerReplicasInfo.ReplicasInfo r, String addr) {
        return r.getInSyncReplicas().stream().anyMatch(i -> addr.equals(i.getBrokerAddress()) && Boolean.TRUE.equals(i.getAlive()));
    }

    static long idOf(BrokerReplicasInfo.ReplicasInfo r, String addr) {
        List<BrokerReplicasInfo.ReplicaIdentity> all = new ArrayList<>(r.getInSyncReplicas());
        all.addAll(r.getNotInSyncReplicas());
        return all.stream().filter(i -> addr.equals(i.getBrokerAddress())).map(BrokerReplicasInfo.ReplicaIdentity::getBrokerId)
                .findFirst().orElse(-1L);
    }

    static String ids(List<BrokerReplicasInfo.ReplicaIdentity> l) {
        return l.stream().map(i -> i.getBrokerId() + "@" + i.getBrokerAddress() + (Boolean.TRUE.equals(i.getAlive()) ? "" : "(dead)"))
                .collect(Collectors.joining(", ", "[", "]"));
    }

    static List<String> pairs(List<EpochEntry> l) {
        return l.stream().map(e -> e.getEpoch() + "@" + e.getStartOffset()).toList();
    }

    static String epochs(EpochEntryCache c) {
        return "epochs " + pairs(c.getEpochList());
    }

    static int lastEpoch(EpochEntryCache c) {
        List<EpochEntry> l = c.getEpochList();
        return l.isEmpty() ? -1 : l.get(l.size() - 1).getEpoch();
    }

    void start(Group g) throws Exception {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(g.name);
        c.setNamesrvAddr(namesrv);
        c.setInstanceName(g.name);
        c.setPollNameServerInterval(1000);
        c.setMessageModel(MessageModel.CLUSTERING);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(TOPIC, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                if (m.getKeys().startsWith("lag-")) {
                    g.lag.incrementAndGet();
                    continue;
                }
                int k = Integer.parseInt(m.getKeys());
                if (!new String(m.getBody(), StandardCharsets.UTF_8).equals("cc " + k)) {
                    g.corrupt.incrementAndGet();
                }
                g.receipts.incrementAndGet();
                g.count.computeIfAbsent(k, x -> new AtomicInteger()).incrementAndGet();
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        g.consumer = c;
        event("consumer group " + g.name + " started (CONSUME_FROM_FIRST_OFFSET)");
    }

    Thread startProducer() {
        producing = true;
        Thread t = new Thread(this::produce, "cc-producer");
        t.start();
        event("producer started");
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
            if (paused) {
                idle = true;
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
                next = System.nanoTime();
                continue;
            }
            idle = false;
            int k = seq.incrementAndGet();
            Message m = new Message(TOPIC, "cc", Integer.toString(k), ("cc " + k).getBytes(StandardCharsets.UTF_8));
            long start = System.currentTimeMillis();
            try {
                SendResult r = producer.send(m);
                InetSocketAddress a = (InetSocketAddress) MessageDecoder.decodeMessageId(r.getOffsetMsgId()).getAddress();
                outcomes.add(new Outcome(k, start, System.currentTimeMillis(), r.getSendStatus().name(),
                        a.getAddress().getHostAddress() + ":" + a.getPort()));
            } catch (Exception e) {
                outcomes.add(new Outcome(k, start, System.currentTimeMillis(), "EXCEPTION", "-"));
                if (exceptionsShown++ < 4) {
                    say("send " + k + " failed: " + e.toString().split("\n")[0]);
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

    /** Pauses the producer (returns once no send is in flight) or resumes it. */
    void pause(boolean on) throws Exception {
        idle = false;
        paused = on;
        if (on) {
            waitFor("the producer pauses", 30, () -> idle);
            event("producer paused");
        } else {
            event("producer resumed");
        }
    }

    long ackedBy(String addr, long since) {
        return count(o -> o.ok() && o.addr.equals(addr) && o.start >= since);
    }

    interface Pred {
        boolean test(Outcome o);
    }

    long count(Pred p) {
        synchronized (outcomes) {
            return outcomes.stream().filter(p::test).count();
        }
    }

    static long missing(Group g, Set<Integer> acked) {
        return acked.stream().filter(k -> !g.count.containsKey(k)).count();
    }

    /** Runs the control script; returns when (epoch ms) it sent a kill -9, if it did, else now. */
    long ctl(String action, int... indexes) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ctl, action));
        for (int i : indexes) {
            cmd.add(Integer.toString(i));
        }
        Process pr = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        long at = -1;
        try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(pr.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                System.out.println(line);
                var m = java.util.regex.Pattern.compile(" at=(\\d+)$").matcher(line);
                if (m.find()) {
                    at = Long.parseLong(m.group(1));
                }
            }
        }
        if (!pr.waitFor(60, TimeUnit.SECONDS) || pr.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed");
        }
        return at > 0 ? at : System.currentTimeMillis();
    }

    long event(String name, long at) {
        events.put(name, at);
        say(String.format("t=%6.2f s  %s", (at - t0) / 1000.0, name));
        return at;
    }

    void expect(boolean ok, String what) {
        if (!ok) {
            problems.add(what);
            say("MISMATCH: " + what);
        }
    }

    static void step(String title) {
        say("");
        say("== " + title);
    }

    long event(String name) {
        long now = System.currentTimeMillis();
        events.put(name, now);
        say(String.format("t=%6.2f s  %s", (now - t0) / 1000.0, name));
        return now;
    }

    interface Check {
        boolean ok() throws Exception;
    }

    interface Value<T> {
        T get() throws Exception;
    }

    void waitFor(String what, int seconds, Check c) throws Exception {
        if (!waitQuietly(seconds, c)) {
            throw new IllegalStateException("not within " + seconds + " s: " + what);
        }
    }

    <T> T waitForValue(String what, int seconds, Value<T> v) throws Exception {
        long deadline = System.currentTimeMillis() + seconds * 1000L;
        Exception lastError = null;
        while (true) {
            try {
                T t = v.get();
                if (t != null) {
                    return t;
                }
            } catch (Exception e) {
                lastError = e;
            }
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("not within " + seconds + " s: " + what
                        + (lastError == null ? "" : " (last error: " + lastError + ")"));
            }
            Thread.sleep(200);
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
            w.println("seq\tstart_ms\tend_ms\tstatus\tstored_by");
            synchronized (outcomes) {
                for (Outcome o : outcomes) {
                    w.printf("%d\t%d\t%d\t%s\t%s%n", o.seq, o.start, o.end, o.status, o.addr);
                }
            }
        }
        for (Group g : List.of(first, last)) {
            try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out.resolve("consumed-" + g.name + ".tsv")))) {
                w.println("seq\ttimes");
                for (var e : new TreeMap<>(g.count).entrySet()) {
                    w.printf("%d\t%d%n", e.getKey(), e.getValue().get());
                }
            }
        }
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out.resolve("events.tsv")))) {
            synchronized (events) {
                events.forEach((k, v) -> w.printf("%d\t%s%n", v, k));
            }
        }
    }

    void shutdown() {
        producing = false;
        if (watcher != null) {
            watcher.running = false;
        }
        for (Group g : List.of(first, last)) {
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

    static String secs(Long at, long since) {
        return at == null ? "NEVER" : String.format("%.2f s", (at - since) / 1000.0);
    }

    static void say(String line) {
        System.out.println("[controller-compat] " + line);
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
