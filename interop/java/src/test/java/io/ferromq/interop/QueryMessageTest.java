package io.ferromq.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.rocketmq.client.QueryResult;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.junit.jupiter.api.Test;

/** Issue 4: QUERY_MESSAGE (12) by key and by unique key, VIEW_MESSAGE_BY_ID (33). */
class QueryMessageTest extends InteropTestBase {
    static final Duration INDEXED = Duration.ofSeconds(20);

    /**
     * Pins query by key: QUERY_MESSAGE with a key returns exactly the messages whose KEYS contain it
     * (the index is built asynchronously, so the test polls): a unique key finds its one message, a key
     * shared by 10 messages finds all 10, with bodies intact.
     */
    @Test
    void queryByKey() throws Exception {
        String topic = Env.unique("QueryTopic");
        String run = Env.unique("run");
        Cluster.createTopic(admin, topic, 4);
        DefaultMQProducer producer = clients.producer(Env.unique("PG"));
        String shared = "shared-" + run;
        for (int i = 0; i < 10; i++) {
            Message m = Bodies.message(topic, run, i, null);
            m.setKeys(List.of("uniq-" + run + "-" + i, shared));
            producer.send(m);
        }
        long end = System.currentTimeMillis() + 60_000;
        QueryResult one = Await.value("key uniq-..-3 indexed", INDEXED, () -> {
            QueryResult q = admin.queryMessage(topic, "uniq-" + run + "-3", 32, 0, end);
            return q.getMessageList().isEmpty() ? null : q;
        });
        assertEquals(1, one.getMessageList().size());
        assertArrayEquals(Bodies.body(run, 3), one.getMessageList().get(0).getBody());
        QueryResult all = Await.value("10 messages with the shared key", INDEXED, () -> {
            QueryResult q = admin.queryMessage(topic, shared, 32, 0, end);
            return q.getMessageList().size() >= 10 ? q : null;
        });
        Received got = new Received(run);
        got.addAll(all.getMessageList());
        got.assertExactly(Received.range(0, 10), true);
    }

    /**
     * Pins lookups by id: VIEW_MESSAGE_BY_ID with the offsetMsgId (broker address + commit log offset)
     * returns the message; QUERY_MESSAGE with the unique key (the msgId the producer returned, UNIQ_KEY flag)
     * finds it too; both with the body, topic and msgId the producer saw.
     */
    @Test
    void viewById() throws Exception {
        String topic = Env.unique("ViewTopic");
        String run = Env.unique("run");
        Cluster.createTopic(admin, topic, 2);
        DefaultMQProducer producer = clients.producer(Env.unique("PG"));
        SendResult r = producer.send(Bodies.message(topic, run, 7, "TagView"));
        MessageExt byOffsetId = admin.viewMessage(topic, r.getOffsetMsgId());
        assertEquals(r.getMsgId(), byOffsetId.getMsgId());
        assertEquals(topic, byOffsetId.getTopic());
        assertEquals("TagView", byOffsetId.getTags());
        assertArrayEquals(Bodies.body(run, 7), byOffsetId.getBody());

        String cluster = Cluster.name(admin);
        QueryResult q = Await.value("unique key indexed", INDEXED, () -> {
            QueryResult res = admin.queryMessageByUniqKey(cluster, topic, r.getMsgId(), 32, 0, Long.MAX_VALUE);
            return res.getMessageList().isEmpty() ? null : res;
        });
        Set<String> ids = new TreeSet<>();
        for (MessageExt m : q.getMessageList()) {
            ids.add(m.getMsgId());
            assertArrayEquals(Bodies.body(run, 7), m.getBody());
        }
        assertEquals(Set.of(r.getMsgId()), ids);
    }
}
