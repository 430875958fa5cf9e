package io.ferromq.interop;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.rocketmq.common.MixAll;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.remoting.protocol.body.ClusterInfo;
import org.apache.rocketmq.remoting.protocol.route.BrokerData;
import org.apache.rocketmq.remoting.protocol.route.QueueData;
import org.apache.rocketmq.remoting.protocol.route.TopicRouteData;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

/** What the NameServer says about the cluster under test, and topic set-up through the admin API. */
final class Cluster {
    static final Duration ROUTE_TIMEOUT = Duration.ofSeconds(20);

    private Cluster() {
    }

    /** The cluster the tests use: {@code FERROMQ_CLUSTER} or the first (alphabetically) the NameServer knows. */
    static String name(DefaultMQAdminExt admin) throws Exception {
        ClusterInfo info = admin.examineBrokerClusterInfo();
        String wanted = Env.clusterOrNull();
        if (wanted != null) {
            return wanted;
        }
        assertFalse(info.getClusterAddrTable().isEmpty(), "the NameServer knows no cluster");
        return new TreeSet<>(info.getClusterAddrTable().keySet()).first();
    }

    /** Master brokers (brokerId 0) of the cluster under test. */
    static List<BrokerData> masters(DefaultMQAdminExt admin) throws Exception {
        ClusterInfo info = Await.value("a cluster with a master broker", ROUTE_TIMEOUT, () -> {
            ClusterInfo ci = admin.examineBrokerClusterInfo();
            return ci.getBrokerAddrTable().isEmpty() ? null : ci;
        });
        String cluster = name(admin);
        Set<String> names = info.getClusterAddrTable().get(cluster);
        assertNotNull(names, "cluster " + cluster + " unknown to the NameServer");
        List<BrokerData> out = new ArrayList<>();
        for (String n : new TreeSet<>(names)) {
            BrokerData bd = info.getBrokerAddrTable().get(n);
            if (bd != null && bd.getBrokerAddrs().containsKey(MixAll.MASTER_ID)) {
                out.add(bd);
            }
        }
        assertFalse(out.isEmpty(), "cluster " + cluster + " has no master broker");
        return out;
    }

    /** Address of the first master of the cluster under test. */
    static String firstMasterAddr(DefaultMQAdminExt admin) throws Exception {
        return masters(admin).get(0).getBrokerAddrs().get(MixAll.MASTER_ID);
    }

    /**
     * Creates {@code topic} with {@code queues} read/write queues on every master of the cluster
     * (UPDATE_AND_CREATE_TOPIC to each broker) and waits until the NameServer routes it to all of them.
     */
    static TopicRouteData createTopic(DefaultMQAdminExt admin, String topic, int queues) throws Exception {
        List<BrokerData> masters = masters(admin);
        for (BrokerData bd : masters) {
            admin.createAndUpdateTopicConfig(bd.getBrokerAddrs().get(MixAll.MASTER_ID),
                new TopicConfig(topic, queues, queues));
        }
        return awaitRoute(admin, topic, masters.size());
    }

    /** Waits until the NameServer routes {@code topic} to {@code brokers} brokers. */
    static TopicRouteData awaitRoute(DefaultMQAdminExt admin, String topic, int brokers) {
        return Await.value("route of " + topic + " on " + brokers + " broker(s)", ROUTE_TIMEOUT, () -> {
            TopicRouteData r = admin.examineTopicRouteInfo(topic);
            List<QueueData> qd = r.getQueueDatas();
            return qd != null && qd.size() >= brokers ? r : null;
        });
    }
}
