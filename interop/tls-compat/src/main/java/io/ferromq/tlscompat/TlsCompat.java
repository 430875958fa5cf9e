package io.ferromq.tlscompat;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.remoting.protocol.body.ClusterInfo;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

/**
 * The official RocketMQ 5.3.3 Java client over TLS ({@code setUseTLS(true)}; Java's default
 * {@code tls.test.mode.enable=true}: it trusts the server's certificate without checking it)
 * against a FerroMQ NameServer and broker whose {@code tls.server.mode} is TC_MODE:
 * a TLS producer, a TLS lite-pull consumer and a TLS admin client work; a plain producer is
 * refused when the mode is {@code enforcing} and served when it is {@code permissive}.
 */
public final class TlsCompat {
    static int failures = 0;

    public static void main(String[] args) {
        int rc;
        try {
            rc = run();
        } catch (Throwable t) {
            t.printStackTrace(System.out);
            say("ABORTED: " + t);
            rc = 3;
        }
        System.out.flush();
        Runtime.getRuntime().halt(rc);
    }

    static int run() throws Exception {
        String namesrv = System.getenv("TC_NAMESRV");
        String mode = System.getenv("TC_MODE");
        String topic = "TlsTopic_" + mode;
        say("mode " + mode + ", NameServer " + namesrv);

        DefaultMQAdminExt admin = new DefaultMQAdminExt(5000);
        admin.setNamesrvAddr(namesrv);
        admin.setUseTLS(true);
        admin.setInstanceName("tls-admin-" + mode);
        admin.start();
        ClusterInfo ci = admin.examineBrokerClusterInfo();
        check(!ci.getBrokerAddrTable().isEmpty(), "admin over TLS: cluster info lists the broker " + ci.getBrokerAddrTable().keySet());
        String broker = ci.getBrokerAddrTable().values().iterator().next().selectBrokerAddr();
        admin.createAndUpdateTopicConfig(broker, new org.apache.rocketmq.common.TopicConfig(topic, 2, 2, 6));
        say("admin over TLS created " + topic + " on " + broker);

        DefaultMQProducer p = new DefaultMQProducer("tls_producer_" + mode);
        p.setNamesrvAddr(namesrv);
        p.setUseTLS(true);
        p.setInstanceName("tls-producer-" + mode);
        p.start();
        int ok = 0;
        for (int i = 0; i < 20; i++) {
            SendResult r = p.send(new Message(topic, "t", ("tls " + i).getBytes(StandardCharsets.UTF_8)));
            if (r.getSendStatus() == SendStatus.SEND_OK) {
                ok++;
            }
        }
        check(ok == 20, "TLS producer: " + ok + " of 20 SEND_OK");
        p.shutdown();

        DefaultLitePullConsumer c = new DefaultLitePullConsumer("tls_consumer_" + mode);
        c.setNamesrvAddr(namesrv);
        c.setUseTLS(true);
        c.setInstanceName("tls-consumer-" + mode);
        c.setConsumeFromWhere(org.apache.rocketmq.common.consumer.ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, "*");
        c.start();
        Set<String> got = new HashSet<>();
        long deadline = System.currentTimeMillis() + 30_000;
        while (got.size() < 20 && System.currentTimeMillis() < deadline) {
            List<MessageExt> batch = c.poll(1000);
            for (MessageExt m : batch) {
                got.add(new String(m.getBody(), StandardCharsets.UTF_8));
            }
        }
        check(got.size() == 20, "TLS consumer: " + got.size() + " of 20 messages");
        c.shutdown();

        DefaultMQProducer plain = new DefaultMQProducer("plain_producer_" + mode);
        plain.setNamesrvAddr(namesrv);
        plain.setUseTLS(false);
        plain.setInstanceName("plain-producer-" + mode);
        plain.setSendMsgTimeout(3000);
        plain.setRetryTimesWhenSendFailed(0);
        plain.start();
        String outcome;
        try {
            SendResult r = plain.send(new Message(topic, "t", "plain".getBytes(StandardCharsets.UTF_8)));
            outcome = r.getSendStatus().toString();
        } catch (Exception e) {
            outcome = "refused (" + e.getClass().getSimpleName() + ")";
        }
        plain.shutdown();
        boolean served = outcome.equals("SEND_OK");
        if (mode.equals("enforcing")) {
            check(!served, "plain producer on an enforcing server: " + outcome);
        } else {
            check(served, "plain producer on a permissive server: " + outcome);
        }
        admin.shutdown();
        say(failures == 0 ? "PASS" : "FAIL (" + failures + ")");
        return failures == 0 ? 0 : 1;
    }

    static void check(boolean ok, String what) {
        say((ok ? "ok    " : "FAIL  ") + what);
        if (!ok) {
            failures++;
        }
    }

    static void say(String s) {
        System.out.println("[tls-compat] " + s);
    }
}
