package io.ferromq.interop;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.MessageSelector;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Issue 6: SQL92 property filters (server needs enablePropertyFilter=true). */
@Tag("features")
class SqlFilterTest extends InteropTestBase {
    static final int N = 300;

    // property values of message i; null = property absent
    static Integer a(int i) {
        return i % 11 == 0 ? null : i % 10;
    }

    static String b(int i) {
        return i % 7 == 0 ? null : (i % 2 == 0 ? "x" : "y");
    }

    static String c(int i) {
        return new String[] {"p", "q", "r", "s"}[i % 4];
    }

    static boolean hasD(int i) {
        return i % 3 == 0;
    }

    /**
     * Pins SQL92 subscriptions (heartbeat with expressionType SQL92, CHECK_CLIENT_CONFIG, filtering on pull):
     * {@code a > 5 AND b = 'x'}, {@code c IN ('p', 'q')} and {@code d IS NULL} each deliver exactly the
     * messages whose user properties match (a missing property makes a comparison false), each once.
     */
    @Test
    void sqlSubscriptionsDeliverExactlyMatches() throws Exception {
        String topic = Env.unique("SqlTopic");
        String run = Env.unique("run");
        Cluster.createTopic(admin, topic, 2);
        Map<String, IntPredicate> exprs = new LinkedHashMap<>();
        exprs.put("a > 5 AND b = 'x'", i -> a(i) != null && a(i) > 5 && "x".equals(b(i)));
        exprs.put("c IN ('p', 'q')", i -> c(i).equals("p") || c(i).equals("q"));
        exprs.put("d IS NULL", i -> !hasD(i));

        Map<String, Received> got = new LinkedHashMap<>();
        List<String> groups = new ArrayList<>();
        for (String expr : exprs.keySet()) {
            Received r = new Received(run);
            String group = Env.unique("SqlG");
            DefaultMQPushConsumer cons = clients.pushConsumer(group);
            cons.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
            cons.subscribe(topic, MessageSelector.bySql(expr));
            cons.registerMessageListener(r.listener());
            cons.start();
            got.put(expr, r);
            groups.add(group);
        }
        for (String g : groups) {
            Await.value("consumer " + g + " registered", Duration.ofSeconds(20), () ->
                admin.examineConsumerConnectionInfo(g).getConnectionSet().isEmpty() ? null : g);
        }

        DefaultMQProducer p = clients.producer(Env.unique("PG"));
        for (int i = 0; i < N; i++) {
            Message m = Bodies.message(topic, run, i, "TagSql");
            if (a(i) != null) {
                m.putUserProperty("a", Integer.toString(a(i)));
            }
            if (b(i) != null) {
                m.putUserProperty("b", b(i));
            }
            m.putUserProperty("c", c(i));
            if (hasD(i)) {
                m.putUserProperty("d", "present");
            }
            p.send(m);
        }
        for (Map.Entry<String, IntPredicate> e : exprs.entrySet()) {
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < N; i++) {
                if (e.getValue().test(i)) {
                    expected.add(i);
                }
            }
            assertFalse(expected.isEmpty());
            Received r = got.get(e.getKey());
            r.awaitDistinct(expected.size(), Duration.ofSeconds(60));
            Await.during("nothing more for " + e.getKey(), Duration.ofSeconds(1),
                () -> r.distinct() == expected.size(), r::summary);
            r.assertExactly(expected, true);
        }
    }
}
