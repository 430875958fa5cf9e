package io.ferromq.aclcompat;

import static io.ferromq.aclcompat.AclCompat.broker;
import static io.ferromq.aclcompat.AclCompat.check;
import static io.ferromq.aclcompat.AclCompat.checkHasLine;
import static io.ferromq.aclcompat.AclCompat.consume;
import static io.ferromq.aclcompat.AclCompat.hook;
import static io.ferromq.aclcompat.AclCompat.mqadmin;
import static io.ferromq.aclcompat.AclCompat.mqadminV1;
import static io.ferromq.aclcompat.AclCompat.namesrv;
import static io.ferromq.aclcompat.AclCompat.outcome;
import static io.ferromq.aclcompat.AclCompat.pullOnce;
import static io.ferromq.aclcompat.AclCompat.say;
import static io.ferromq.aclcompat.AclCompat.sendAll;
import static io.ferromq.aclcompat.AclCompat.sendOnce;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import io.ferromq.aclcompat.AclCompat.Outcome;
import io.ferromq.aclcompat.AclCompat.Producer;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

/**
 * ACL 1.0 against a broker with {@code aclEnable=true} and AC_ACL_FILE
 * ({@code $rocketmqHome/conf/plain_acl.yml}): the account RocketMQ/12345678 (TopicA=PUB|SUB,
 * TopicB=DENY, defaultTopicPerm DENY, GroupA=SUB, GroupB=DENY), the admin account
 * rocketmq2/12345678 (mqadmin's tools.yml) and globalWhiteRemoteAddresses = [AC_WHITE_IP].
 * Refusals are SYSTEM_ERROR (1) with Java's {@code AclException} remark, which the Java producer
 * surfaces as MQBrokerException.
 *
 * <p>{@link #run} runs from a client address that is not whitelisted; {@link #whitelisted} from
 * AC_WHITE_IP, before (served unsigned) and after (refused) {@code updateGlobalWhiteAddr}
 * replaced the list with the first address.
 */
final class Acl1 {
    static final int SYSTEM_ERROR = 1;
    static final String ACL_EXCEPTION = "org.apache.rocketmq.acl.common.AclException: ";
    /** Java's watcher looks every 5 s; a change must show within 6 s (plus one send). */
    static final long RELOAD_LIMIT_MS = 6_500;

    private Acl1() {
    }

    static boolean refusedWith(Outcome o, String message) {
        return o.refused(SYSTEM_ERROR, ACL_EXCEPTION + message);
    }

    static void run() throws Exception {
        String b = broker;
        Path aclFile = Path.of(System.getenv("AC_ACL_FILE"));
        String myIp = System.getenv("AC_CLIENT_IP");
        String whiteIp = System.getenv("AC_WHITE_IP");
        say("ACL 1.0: NameServer " + namesrv + ", broker " + b + ", client address " + myIp + " (not whitelisted)");

        for (String t : List.of("TopicA", "TopicB", "TopicC")) {
            checkHasLine("mqadmin updateTopic " + t + " (admin account rocketmq2)",
                mqadmin("updateTopic", "-n", namesrv, "-b", b, "-t", t, "-r", "2", "-w", "2"),
                "create topic to " + b + " success.");
        }

        // --- the account produces and consumes -------------------------------------------------
        Set<String> sent = sendAll("rmq", hook("RocketMQ", "12345678"), "TopicA", 10);
        check(sent.size() == 10, "RocketMQ (AclClientRPCHook) sends to TopicA (PUB|SUB): " + sent.size() + " of 10 SEND_OK");
        Set<String> got = consume("rmq-consumer", hook("RocketMQ", "12345678"), "GroupA", "TopicA", sent);
        check(got.containsAll(sent) && !sent.isEmpty(), "RocketMQ's push consumer in GroupA (SUB) receives them: " + got.size() + " of " + sent.size());

        // --- refusals: SYSTEM_ERROR with the AclException text -------------------------------------
        Outcome o = sendOnce("rmq-wrong", hook("RocketMQ", "not-the-secret"), "TopicA");
        check(refusedWith(o, "Check signature failed for accessKey=RocketMQ"), "wrong secret refused: " + o);
        o = sendOnce("unsigned", null, "TopicA");
        check(refusedWith(o, "No accessKey is configured"), "unsigned producer refused: " + o);
        o = sendOnce("nobody", hook("nobody12", "12345678"), "TopicA");
        check(refusedWith(o, "No acl config for nobody12"), "unknown accessKey refused: " + o);
        o = sendOnce("rmq", hook("RocketMQ", "12345678"), "TopicB");
        check(refusedWith(o, "No permission for topic:TopicB"), "TopicB (DENY) refused: " + o);
        o = sendOnce("rmq", hook("RocketMQ", "12345678"), "TopicC");
        check(refusedWith(o, "No default permission for topic:TopicC"), "TopicC (defaultTopicPerm DENY) refused: " + o);
        o = pullOnce("rmq-groupb", hook("RocketMQ", "12345678"), "GroupB", "TopicA");
        check(refusedWith(o, "No permission for group:GroupB"), "pulling TopicA in GroupB (DENY) refused: " + o);
        o = createTopic(hook("RocketMQ", "12345678"), "TopicD");
        check(refusedWith(o, "Need admin permission for request code=17, but accessKey=RocketMQ is not"),
            "UPDATE_AND_CREATE_TOPIC by a non-admin account refused: " + o);

        // --- mqadmin 5.3.1: the ACL 1.0 commands -----------------------------------------------------
        List<String> out = mqadminV1("updateAclConfig", "-n", namesrv, "-b", b, "-a", "newuser1", "-s", "newsecret1",
            "-t", "TopicC=PUB", "-i", "DENY", "-u", "SUB");
        checkHasLine("mqadmin(5.3.1) updateAclConfig newuser1 TopicC=PUB", out,
            "create or update plain access config to " + b + " success.");
        o = sendOnce("newuser1", hook("newuser1", "newsecret1"), "TopicC");
        check(o.sent(), "newuser1 (created by updateAclConfig) sends to TopicC at once: " + o);
        o = sendOnce("newuser1", hook("newuser1", "newsecret1"), "TopicA");
        check(refusedWith(o, "No default permission for topic:TopicA"), "newuser1 to TopicA refused: " + o);
        out = mqadminV1("clusterAclConfigVersion", "-n", namesrv, "-b", b);
        check(out.stream().anyMatch(l -> l.startsWith("get broker's plain access config version success. Address:" + b))
                && out.stream().anyMatch(l -> l.contains(aclFile.toString())),
            "mqadmin(5.3.1) clusterAclConfigVersion -b prints the file's version and succeeds");
        out = mqadminV1("deleteAclConfig", "-n", namesrv, "-b", b, "-a", "newuser1");
        checkHasLine("mqadmin(5.3.1) deleteAclConfig newuser1", out,
            "delete plain access config account from " + b + " success.");
        o = sendOnce("newuser1", hook("newuser1", "newsecret1"), "TopicC");
        check(refusedWith(o, "No acl config for newuser1"), "newuser1 refused after deleteAclConfig: " + o);

        // --- hot reload: the file is edited, the broker picks it up ------------------------------------
        Files.writeString(aclFile, aclYaml(whiteIp, "TopicA=SUB", "TopicB=DENY", "TopicC=PUB"), StandardCharsets.UTF_8);
        long t0 = System.currentTimeMillis();
        try (Producer p = new Producer("rmq-reload", hook("RocketMQ", "12345678"))) {
            long took = waitFor(() -> p.send("TopicC", "after reload").sent());
            check(took >= 0 && took <= RELOAD_LIMIT_MS, "plain_acl.yml edited (TopicC=PUB): TopicC served " + took + " ms later");
            o = p.send("TopicA", "after reload");
            check(refusedWith(o, "No permission for topic:TopicA"), "... and TopicA (now SUB only) refused: " + o);
        }
        say("      (reload observed " + (System.currentTimeMillis() - t0) + " ms after the write)");

        // --- the global whitelist ------------------------------------------------------------------
        out = mqadminV1("updateGlobalWhiteAddr", "-n", namesrv, "-b", b, "-g", myIp);
        checkHasLine("mqadmin(5.3.1) updateGlobalWhiteAddr -g " + myIp, out,
            "update global white remote addresses to " + b + " success.");
        try (Producer p = new Producer("unsigned-white", null)) {
            long took = waitFor(() -> p.send("TopicB", "whitelisted").sent());
            check(took >= 0 && took <= RELOAD_LIMIT_MS, "after updateGlobalWhiteAddr an unsigned producer from " + myIp
                + " is let through (even to TopicB) " + took + " ms later");
        }
        String file = Files.readString(aclFile, StandardCharsets.UTF_8);
        check(file.contains(myIp) && !file.contains(whiteIp), "plain_acl.yml now whitelists " + myIp + " only");
    }

    /** From AC_WHITE_IP: {@code served} (whitelisted: unsigned admin and send work) or {@code refused}. */
    static void whitelisted(String expect) throws Exception {
        String myIp = System.getenv("AC_CLIENT_IP");
        say("ACL 1.0: unsigned client from " + myIp + ", expected " + expect);
        if (expect.equals("served")) {
            Outcome o = createTopic(null, "TopicW");
            check(o.sent(), "whitelisted " + myIp + ": unsigned UPDATE_AND_CREATE_TOPIC (admin-only) served: " + o);
            o = sendOnce("white", null, "TopicW");
            check(o.sent(), "whitelisted " + myIp + ": unsigned producer served: " + o);
        } else {
            Outcome o = sendOnce("white", null, "TopicW");
            check(refusedWith(o, "No accessKey is configured"), myIp + " no longer whitelisted: unsigned producer refused: " + o);
        }
    }

    static Outcome createTopic(org.apache.rocketmq.remoting.RPCHook h, String topic) {
        DefaultMQAdminExt admin = h == null ? new DefaultMQAdminExt(5000) : new DefaultMQAdminExt(h, 5000);
        admin.setNamesrvAddr(namesrv);
        admin.setInstanceName("acl-admin-" + AclCompat.SEQ.incrementAndGet());
        try {
            admin.start();
            admin.createAndUpdateTopicConfig(broker, new TopicConfig(topic, 2, 2, 6));
            return new Outcome("SEND_OK", 0, null, null);
        } catch (Exception e) {
            return outcome(e);
        } finally {
            admin.shutdown();
        }
    }

    interface Probe {
        boolean ok() throws Exception;
    }

    /** Milliseconds until {@code probe} holds (tried every 250 ms, up to 15 s), or -1. */
    static long waitFor(Probe probe) throws Exception {
        long t0 = System.currentTimeMillis();
        while (System.currentTimeMillis() - t0 < 15_000) {
            if (probe.ok()) {
                return System.currentTimeMillis() - t0;
            }
            Thread.sleep(250);
        }
        return -1;
    }

    /** plain_acl.yml: the whitelist, RocketMQ with {@code topicPerms}, the admin rocketmq2. */
    static String aclYaml(String whiteIp, String... topicPerms) {
        StringBuilder s = new StringBuilder();
        s.append("globalWhiteRemoteAddresses:\n  - ").append(whiteIp).append('\n');
        s.append("accounts:\n");
        s.append("  - accessKey: RocketMQ\n    secretKey: 12345678\n    admin: false\n");
        s.append("    defaultTopicPerm: DENY\n    defaultGroupPerm: SUB\n    topicPerms:\n");
        for (String p : topicPerms) {
            s.append("      - ").append(p).append('\n');
        }
        s.append("    groupPerms:\n      - GroupA=SUB\n      - GroupB=DENY\n");
        s.append("  - accessKey: rocketmq2\n    secretKey: 12345678\n    admin: true\n");
        return s.toString();
    }
}
