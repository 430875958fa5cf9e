package io.ferromq.aclcompat;

import static io.ferromq.aclcompat.AclCompat.broker;
import static io.ferromq.aclcompat.AclCompat.check;
import static io.ferromq.aclcompat.AclCompat.checkHasLine;
import static io.ferromq.aclcompat.AclCompat.checkLines;
import static io.ferromq.aclcompat.AclCompat.consume;
import static io.ferromq.aclcompat.AclCompat.hook;
import static io.ferromq.aclcompat.AclCompat.mqadmin;
import static io.ferromq.aclcompat.AclCompat.namesrv;
import static io.ferromq.aclcompat.AclCompat.pullOnce;
import static io.ferromq.aclcompat.AclCompat.say;
import static io.ferromq.aclcompat.AclCompat.sendAll;
import static io.ferromq.aclcompat.AclCompat.sendOnce;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import io.ferromq.aclcompat.AclCompat.Outcome;

/**
 * ACL 2.0 against a broker with {@code authenticationEnabled} and {@code authorizationEnabled},
 * the super user {@code rocketmq/12345678} (initAuthenticationUser; mqadmin's tools.yml) and the
 * inner user AC_INNER_USER/AC_INNER_PASSWORD (innerClientAuthenticationCredentials).
 *
 * <p>mqadmin (super user) creates users alice and bob and alice's ACL; getUser/listUser/getAcl/
 * listAcl must print exactly what they print against Java's broker (same format strings, the
 * values Java's broker answers). alice produces to T1 and consumes it in G1; a wrong secret, an
 * unsigned client, a topic and a group alice has no policy for are refused with NO_PERMISSION (16)
 * and Java's remark; updateAcl, updateUser, deleteAcl and deleteUser change what alice may do.
 * bob is left (ACL: Topic:GoTopic Pub) for the Go client and the normal-user mqadmin run.
 */
final class Acl2 {
    static final int NO_PERMISSION = 16;
    static final String USER_FMT = "%-16s  %-22s  %-22s  %-22s";
    static final String ACL_FMT = "%-16s  %-10s  %-22s  %-20s  %-24s  %-10s";
    static final String IP = "127.0.0.1";

    private Acl2() {
    }

    static String user(String name, String password, String type, String status) {
        return String.format(USER_FMT, name, password, type, status);
    }

    static String acl(String subject, String resource, String actions) {
        return String.format(ACL_FMT, subject, "Custom", resource, actions, null, "Allow");
    }

    static String noPolicy(String user, String resource) {
        return "User:" + user + " has no permission to access " + resource + " from " + IP + ", no matched policies.";
    }

    static List<String> lines(String... l) {
        return new ArrayList<>(List.of(l));
    }

    /**
     * In a JVM started with {@code -Drocketmq.serialize.type=ROCKETMQ}: the same signatures over
     * RocketMQ's binary header encoding (bob, left by {@link #run}, may publish to GoTopic).
     */
    static void binaryHeaders() throws Exception {
        String b = broker;
        say("ACL 2.0 with binary headers (rocketmq.serialize.type=" + System.getProperty("rocketmq.serialize.type") + ")");
        Set<String> sent = sendAll("bob-binary", hook("bob", "bob-secret-1"), "GoTopic", 5);
        check(sent.size() == 5, "bob sends to GoTopic: " + sent.size() + " of 5 SEND_OK");
        Outcome o = sendOnce("bob-wrong", hook("bob", "not-the-secret"), "GoTopic");
        check(o.refused(NO_PERMISSION, "check signature failed."), "wrong secret refused: " + o);
        o = sendOnce("unsigned", null, "GoTopic");
        check(o.refused(NO_PERMISSION, "username cannot be null."), "unsigned producer refused: " + o);
        o = sendOnce("bob", hook("bob", "bob-secret-1"), "T1");
        check(o.refused(NO_PERMISSION, noPolicy("bob", "Topic:T1")), "bob to T1 (no policy) refused: " + o);
        checkLines("mqadmin getUser bob prints Java's table",
            mqadmin("getUser", "-n", namesrv, "-b", b, "-u", "bob"),
            lines(user("#UserName", "#Password", "#UserType", "#UserStatus"), user("bob", "bob-secret-1", "Normal", "enable")));
    }

    static void run() throws Exception {
        String inner = System.getenv("AC_INNER_USER");
        String innerPw = System.getenv("AC_INNER_PASSWORD");
        String b = broker;
        String cluster = System.getenv("AC_CLUSTER");
        String userHeader = user("#UserName", "#Password", "#UserType", "#UserStatus");
        String aclHeader = String.format(ACL_FMT, "#Subject", "#PolicyType", "#Resource", "#Actions", "#SourceIp", "#Decision");
        say("ACL 2.0: NameServer " + namesrv + ", broker " + b + " (mqadmin signs as the super user rocketmq)");

        // --- users and ACLs by mqadmin ----------------------------------------------------------
        for (String t : List.of("T1", "T2", "T3", "GoTopic")) {
            checkHasLine("mqadmin updateTopic " + t + " (super user)",
                mqadmin("updateTopic", "-n", namesrv, "-b", b, "-t", t, "-r", "2", "-w", "2"),
                "create topic to " + b + " success.");
        }
        checkHasLine("mqadmin createUser alice", mqadmin("createUser", "-n", namesrv, "-b", b, "-u", "alice", "-p", "alice-secret-1"),
            "create user to " + b + " success.");
        checkHasLine("mqadmin createUser -c " + cluster + " bob (every broker of the cluster, from the NameServer)",
            mqadmin("createUser", "-n", namesrv, "-c", cluster, "-u", "bob", "-p", "bob-secret-1"),
            "create user to " + b + " success.");
        checkHasLine("mqadmin createAcl User:alice Topic:T1,Group:G1 Pub,Sub Allow",
            mqadmin("createAcl", "-n", namesrv, "-b", b, "-s", "User:alice", "-r", "Topic:T1,Group:G1", "-a", "Pub,Sub", "-d", "Allow"),
            "create acl to " + b + " success.");
        checkHasLine("mqadmin createAcl User:bob Topic:GoTopic Pub Allow",
            mqadmin("createAcl", "-n", namesrv, "-b", b, "-s", "User:bob", "-r", "Topic:GoTopic", "-a", "Pub", "-d", "Allow"),
            "create acl to " + b + " success.");
        checkLines("mqadmin getUser alice prints Java's table",
            mqadmin("getUser", "-n", namesrv, "-b", b, "-u", "alice"),
            lines(userHeader, user("alice", "alice-secret-1", "Normal", "enable")));
        // Java's LocalAuthenticationMetadataProvider lists in RocksDB key (user name) order
        List<String> users = lines(userHeader,
            user("alice", "alice-secret-1", "Normal", "enable"),
            user("bob", "bob-secret-1", "Normal", "enable"),
            user(inner, innerPw, "Super", "enable"),
            user("rocketmq", "12345678", "Super", "enable"));
        checkLines("mqadmin listUser prints Java's table (the two super users from broker.conf, alice, bob)",
            mqadmin("listUser", "-n", namesrv, "-b", b), users);
        checkLines("mqadmin getAcl User:alice prints Java's table",
            mqadmin("getAcl", "-n", namesrv, "-b", b, "-s", "User:alice"),
            lines(aclHeader, acl("User:alice", "Topic:T1", "[Pub, Sub]"), acl("User:alice", "Group:G1", "[Pub, Sub]")));
        checkLines("mqadmin listAcl prints Java's table",
            mqadmin("listAcl", "-n", namesrv, "-b", b),
            lines(aclHeader, acl("User:alice", "Topic:T1", "[Pub, Sub]"), acl("User:alice", "Group:G1", "[Pub, Sub]"),
                acl("User:bob", "Topic:GoTopic", "[Pub]")));
        checkLines("mqadmin listAcl -s bob (subject filter)",
            mqadmin("listAcl", "-n", namesrv, "-b", b, "-s", "bob"),
            lines(aclHeader, acl("User:bob", "Topic:GoTopic", "[Pub]")));

        checkLines("mqadmin listUser -c " + cluster + " -f bob",
            mqadmin("listUser", "-n", namesrv, "-c", cluster, "-f", "bob"),
            lines(userHeader, user("bob", "bob-secret-1", "Normal", "enable"), "get user from " + b + " success."));

        // --- alice produces and consumes ----------------------------------------------------------
        Set<String> sent = sendAll("alice", hook("alice", "alice-secret-1"), "T1", 10);
        check(sent.size() == 10, "alice (AclClientRPCHook) sends to T1: " + sent.size() + " of 10 SEND_OK");
        Set<String> got = consume("alice-consumer", hook("alice", "alice-secret-1"), "G1", "T1", sent);
        check(got.containsAll(sent) && !sent.isEmpty(), "alice's push consumer in G1 receives them: " + got.size() + " of " + sent.size());

        // --- refusals ---------------------------------------------------------------------------
        Outcome o = sendOnce("alice-wrong", hook("alice", "not-the-secret"), "T1");
        check(o.refused(NO_PERMISSION, "check signature failed."), "wrong secret refused: " + o);
        o = sendOnce("unsigned", null, "T1");
        check(o.refused(NO_PERMISSION, "username cannot be null."), "unsigned producer refused: " + o);
        o = sendOnce("alice", hook("alice", "alice-secret-1"), "T2");
        check(o.refused(NO_PERMISSION, noPolicy("alice", "Topic:T2")), "alice to T2 (no policy) refused: " + o);
        o = sendOnce("mallory", hook("mallory", "12345678"), "T1");
        check(o.refused(NO_PERMISSION, "User:mallory is not found."), "unknown user refused: " + o);
        o = pullOnce("alice-g2", hook("alice", "alice-secret-1"), "G2", "T1");
        check(o.refused(NO_PERMISSION, noPolicy("alice", "Group:G2")), "alice pulling T1 in group G2 (no policy) refused: " + o);
        o = pullOnce("alice-g1", hook("alice", "alice-secret-1"), "G1", "T1");
        check(o.status().equals("FOUND"), "alice pulling T1 in group G1 served: " + o.status());

        // --- changes take effect at once ------------------------------------------------------------
        checkHasLine("mqadmin updateAcl User:alice Topic:T2 Pub Allow",
            mqadmin("updateAcl", "-n", namesrv, "-b", b, "-s", "User:alice", "-r", "Topic:T2", "-a", "Pub", "-d", "Allow"),
            "update acl to " + b + " success.");
        o = sendOnce("alice", hook("alice", "alice-secret-1"), "T2");
        check(o.sent(), "after updateAcl alice may send to T2: " + o);
        checkLines("mqadmin getAcl User:alice: updateAcl added an entry (merged, as Java)",
            mqadmin("getAcl", "-n", namesrv, "-b", b, "-s", "User:alice"),
            lines(aclHeader, acl("User:alice", "Topic:T1", "[Pub, Sub]"), acl("User:alice", "Group:G1", "[Pub, Sub]"),
                acl("User:alice", "Topic:T2", "[Pub]")));

        checkHasLine("mqadmin updateUser alice -p alice-secret-2",
            mqadmin("updateUser", "-n", namesrv, "-b", b, "-u", "alice", "-p", "alice-secret-2"),
            "update user to " + b + " success.");
        checkLines("mqadmin getUser alice shows the new password",
            mqadmin("getUser", "-n", namesrv, "-b", b, "-u", "alice"),
            lines(userHeader, user("alice", "alice-secret-2", "Normal", "enable")));
        o = sendOnce("alice-old", hook("alice", "alice-secret-1"), "T1");
        check(o.refused(NO_PERMISSION, "check signature failed."), "the old secret is refused after updateUser: " + o);
        o = sendOnce("alice-new", hook("alice", "alice-secret-2"), "T1");
        check(o.sent(), "the new secret is accepted: " + o);
        checkHasLine("mqadmin updateUser alice -s disable",
            mqadmin("updateUser", "-n", namesrv, "-b", b, "-u", "alice", "-s", "disable"),
            "update user to " + b + " success.");
        o = sendOnce("alice-disabled", hook("alice", "alice-secret-2"), "T1");
        check(o.refused(NO_PERMISSION, "User:alice is disabled."), "a disabled user is refused: " + o);
        mqadmin("updateUser", "-n", namesrv, "-b", b, "-u", "alice", "-s", "enable");

        checkHasLine("mqadmin deleteAcl User:alice -r Topic:T1",
            mqadmin("deleteAcl", "-n", namesrv, "-b", b, "-s", "User:alice", "-r", "Topic:T1"),
            "delete acl to " + b + " success.");
        checkLines("mqadmin getAcl User:alice: the T1 entry is gone",
            mqadmin("getAcl", "-n", namesrv, "-b", b, "-s", "User:alice"),
            lines(aclHeader, acl("User:alice", "Group:G1", "[Pub, Sub]"), acl("User:alice", "Topic:T2", "[Pub]")));
        o = sendOnce("alice", hook("alice", "alice-secret-2"), "T1");
        check(o.refused(NO_PERMISSION, noPolicy("alice", "Topic:T1")), "after deleteAcl alice to T1 refused: " + o);
        o = sendOnce("alice", hook("alice", "alice-secret-2"), "T2");
        check(o.sent(), "alice to T2 still served: " + o);

        checkHasLine("mqadmin deleteUser alice", mqadmin("deleteUser", "-n", namesrv, "-b", b, "-u", "alice"),
            "delete user to " + b + " success.");
        checkLines("mqadmin getUser alice after deleteUser prints nothing (no body, as Java)",
            mqadmin("getUser", "-n", namesrv, "-b", b, "-u", "alice"), lines());
        checkLines("mqadmin listAcl after deleteUser: alice's ACL went with her",
            mqadmin("listAcl", "-n", namesrv, "-b", b),
            lines(aclHeader, acl("User:bob", "Topic:GoTopic", "[Pub]")));
        o = sendOnce("alice", hook("alice", "alice-secret-2"), "T2");
        check(o.refused(NO_PERMISSION, "User:alice is not found."), "a deleted user is refused: " + o);

        // --- a normal user's admin calls ------------------------------------------------------------
        List<String> out = AclCompat.mqadminAs(hook("bob", "bob-secret-1"), "createUser", "-n", namesrv, "-b", b, "-u", "eve", "-p", "eve-secret-1");
        check(out.stream().anyMatch(l -> l.contains("CODE: 16") && l.contains(noPolicy("bob", "Cluster:" + cluster))),
            "mqadmin createUser signed by bob (a normal user) refused: CODE: 16 " + noPolicy("bob", "Cluster:" + cluster));
    }
}
