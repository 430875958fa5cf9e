package io.ferromq.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.common.MixAll;
import org.apache.rocketmq.common.constant.PermName;
import org.apache.rocketmq.remoting.protocol.ResponseCode;
import org.apache.rocketmq.remoting.protocol.body.ClusterInfo;
import org.apache.rocketmq.remoting.protocol.body.KVTable;
import org.apache.rocketmq.remoting.protocol.route.BrokerData;
import org.apache.rocketmq.remoting.protocol.route.QueueData;
import org.apache.rocketmq.remoting.protocol.route.TopicRouteData;
import org.junit.jupiter.api.Test;

/** Issue 2: what DefaultMQAdminExt / mqadmin ask the NameServer. */
class NameServerAdminTest extends InteropTestBase {

    /**
     * Pins GET_BROKER_CLUSTER_INFO (106): clusterAddrTable maps the cluster name to its broker names,
     * brokerAddrTable maps each broker name to {cluster, brokerName, brokerAddrs{0: "ip:port"}} where the
     * address is the one the broker advertises (brokerIP1:listenPort) and really serves requests
     * (GET_BROKER_CONFIG to it answers with the same brokerName/brokerClusterName).
     */
    @Test
    void clusterInfoListsTheBroker() throws Exception {
        ClusterInfo info = admin.examineBrokerClusterInfo();
        String cluster = Cluster.name(admin);
        Set<String> names = info.getClusterAddrTable().get(cluster);
        assertNotNull(names, "clusterAddrTable has " + cluster);
        assertFalse(names.isEmpty());
        for (String name : names) {
            BrokerData bd = info.getBrokerAddrTable().get(name);
            assertNotNull(bd, "brokerAddrTable has " + name);
            assertEquals(cluster, bd.getCluster());
            assertEquals(name, bd.getBrokerName());
            String addr = bd.getBrokerAddrs().get(MixAll.MASTER_ID);
            assertNotNull(addr, "master (brokerId 0) address of " + name);
            assertTrue(addr.matches("[0-9a-fA-F.:\\[\\]]+:\\d+"), "ip:port address, got " + addr);
            Properties cfg = admin.getBrokerConfig(addr);
            assertEquals(name, cfg.getProperty("brokerName"));
            assertEquals(cluster, cfg.getProperty("brokerClusterName"));
        }
    }

    /**
     * Pins GET_ROUTEINFO_BY_TOPIC (105) for a topic created with UPDATE_AND_CREATE_TOPIC on every master:
     * one QueueData per broker with the requested read/write queue counts and perm 6 (read|write), and one
     * BrokerData per broker with the cluster name and the master address of the cluster info.
     */
    @Test
    void routeOfCreatedTopic() throws Exception {
        String topic = Env.unique("RouteTopic");
        List<BrokerData> masters = Cluster.masters(admin);
        TopicRouteData route = Cluster.createTopic(admin, topic, 4);
        assertEquals(masters.size(), route.getQueueDatas().size(), "one QueueData per broker");
        Set<String> brokerNames = new HashSet<>();
        for (QueueData qd : route.getQueueDatas()) {
            assertEquals(4, qd.getReadQueueNums());
            assertEquals(4, qd.getWriteQueueNums());
            assertEquals(PermName.PERM_READ | PermName.PERM_WRITE, qd.getPerm());
            brokerNames.add(qd.getBrokerName());
        }
        Set<String> expected = new HashSet<>();
        for (BrokerData bd : masters) {
            expected.add(bd.getBrokerName());
        }
        assertEquals(expected, brokerNames);
        assertEquals(masters.size(), route.getBrokerDatas().size(), "one BrokerData per broker");
        for (BrokerData bd : route.getBrokerDatas()) {
            BrokerData fromCluster = masters.stream().filter(m -> m.getBrokerName().equals(bd.getBrokerName()))
                .findFirst().orElseThrow();
            assertEquals(fromCluster.getCluster(), bd.getCluster());
            assertEquals(fromCluster.getBrokerAddrs().get(MixAll.MASTER_ID), bd.getBrokerAddrs().get(MixAll.MASTER_ID));
        }
    }

    /** Pins: the route of an unknown topic is answered with TOPIC_NOT_EXIST (17), surfaced as MQClientException. */
    @Test
    void unknownTopicIsCode17() {
        String topic = Env.unique("NoSuchTopic");
        MQClientException e = assertThrows(MQClientException.class, () -> admin.examineTopicRouteInfo(topic));
        assertEquals(ResponseCode.TOPIC_NOT_EXIST, e.getResponseCode());
    }

    /**
     * Pins the KV config round trip: PUT_KV_CONFIG (100) on every NameServer, GET_KV_CONFIG (101) returns
     * the value in extFields, GET_KVLIST_BY_NAMESPACE (219) lists it, DELETE_KV_CONFIG (102) removes it and
     * a later GET answers QUERY_NOT_FOUND (22).
     */
    @Test
    void kvConfigPutGetDelete() throws Exception {
        String ns = Env.unique("NS");
        String key = "key-" + Env.unique("k");
        String value = "value with spaces, ünïcødé and = signs";
        admin.createAndUpdateKvConfig(ns, key, value);
        admin.createAndUpdateKvConfig(ns, "other", "2");
        assertEquals(value, admin.getKVConfig(ns, key));
        KVTable table = admin.getKVListByNamespace(ns);
        assertEquals(Map.of(key, value, "other", "2"), table.getTable());
        admin.deleteKvConfig(ns, key);
        admin.deleteKvConfig(ns, "other");
        MQClientException e = assertThrows(MQClientException.class, () -> admin.getKVConfig(ns, key));
        assertEquals(ResponseCode.QUERY_NOT_FOUND, e.getResponseCode());
    }

    /**
     * Pins GET_NAMESRV_CONFIG (318/319): every NameServer answers with its configuration as a properties
     * text body, including its own listenPort.
     */
    @Test
    void nameServerConfig() throws Exception {
        Map<String, Properties> configs = admin.getNameServerConfig(null);
        for (String addr : Env.namesrvList()) {
            Properties p = configs.get(addr);
            assertNotNull(p, "config of " + addr + " in " + configs.keySet());
            String port = addr.substring(addr.lastIndexOf(':') + 1);
            assertEquals(port, p.getProperty("listenPort"), "listenPort of " + addr);
        }
    }
}
