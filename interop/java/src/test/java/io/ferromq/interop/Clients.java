package io.ferromq.interop;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.TransactionMQProducer;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

/**
 * Creates official-client objects for one test and shuts every one of them down at the end.
 *
 * <p>Every client gets its own {@code instanceName}: the Java client shares one connection set
 * ("MQClientInstance", client id {@code ip@instanceName}) between clients with the same name, and a
 * server sees two consumers of a group as one if they share a client id.
 */
final class Clients implements AutoCloseable {
    private final Deque<Runnable> shutdowns = new ArrayDeque<>();
    private final String namesrv;
    private int seq;

    Clients() {
        this(Env.namesrv());
    }

    Clients(String namesrv) {
        this.namesrv = namesrv;
    }

    private String instance(String kind) {
        return Env.unique(kind + (++seq));
    }

    /** A started admin client ({@code DefaultMQAdminExt}, what mqadmin and the dashboard use). */
    DefaultMQAdminExt admin() throws MQClientException {
        DefaultMQAdminExt admin = new DefaultMQAdminExt(5000);
        admin.setNamesrvAddr(namesrv);
        admin.setInstanceName(instance("admin"));
        admin.start();
        shutdowns.push(admin::shutdown);
        return admin;
    }

    /** A started producer of {@code group}. */
    DefaultMQProducer producer(String group) throws MQClientException {
        DefaultMQProducer p = new DefaultMQProducer(group);
        p.setNamesrvAddr(namesrv);
        p.setInstanceName(instance("producer"));
        p.start();
        shutdowns.push(p::shutdown);
        return p;
    }

    /** A transactional producer of {@code group}, not started (set the listener first). */
    TransactionMQProducer transactionProducer(String group) {
        TransactionMQProducer p = new TransactionMQProducer(group);
        p.setNamesrvAddr(namesrv);
        p.setInstanceName(instance("txproducer"));
        shutdowns.push(p::shutdown);
        return p;
    }

    /** A push consumer of {@code group}, not started (subscribe and register a listener first). */
    DefaultMQPushConsumer pushConsumer(String group) {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(group);
        c.setNamesrvAddr(namesrv);
        c.setInstanceName(instance("push"));
        // the client bumps its subscription version on every rebalance and re-heartbeats, but that
        // heartbeat is skipped when another one holds the lock; until the next one the broker answers
        // pulls with SUBSCRIPTION_NOT_LATEST (25). 1 s instead of 30 s keeps such stalls short.
        c.setHeartbeatBrokerInterval(1000);
        shutdowns.push(c::shutdown);
        return c;
    }

    /** A lite pull consumer of {@code group}, not started. */
    DefaultLitePullConsumer litePullConsumer(String group) {
        DefaultLitePullConsumer c = new DefaultLitePullConsumer(group);
        c.setNamesrvAddr(namesrv);
        c.setInstanceName(instance("lite"));
        shutdowns.push(c::shutdown);
        return c;
    }

    /** Shutdowns started by {@link #close()} and not yet awaited (see {@link #awaitShutdowns()}). */
    private static final List<Thread> PENDING = new ArrayList<>();

    /**
     * Starts shutting every client down, all at once and in the background: a Java client's shutdown can
     * take up to 3 s (its Netty event thread polls with a 3 s timeout) and the clients of one test are
     * independent of the next test's (unique groups and topics). {@link #awaitShutdowns()} waits for them.
     */
    @Override
    public void close() {
        while (!shutdowns.isEmpty()) {
            Runnable r = shutdowns.pop();
            Thread t = new Thread(() -> {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    System.err.println("shutdown failed: " + e);
                }
            }, "interop-shutdown");
            t.start();
            synchronized (PENDING) {
                PENDING.add(t);
            }
        }
    }

    /** Waits until every shutdown started so far has finished. */
    static void awaitShutdowns() {
        List<Thread> threads;
        synchronized (PENDING) {
            threads = new ArrayList<>(PENDING);
            PENDING.clear();
        }
        for (Thread t : threads) {
            try {
                t.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
