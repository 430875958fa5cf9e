package io.ferromq.grpc5;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.rocketmq.client.apis.ClientConfiguration;
import org.apache.rocketmq.client.apis.ClientServiceProvider;
import org.apache.rocketmq.client.apis.consumer.ConsumeResult;
import org.apache.rocketmq.client.apis.consumer.FilterExpression;
import org.apache.rocketmq.client.apis.consumer.PushConsumer;
import org.apache.rocketmq.client.apis.consumer.SimpleConsumer;
import org.apache.rocketmq.client.apis.message.MessageView;
import org.apache.rocketmq.client.apis.producer.Producer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.remoting.protocol.body.ClusterInfo;
import org.apache.rocketmq.remoting.protocol.route.BrokerData;
import org.apache.rocketmq.remoting.protocol.route.TopicRouteData;
import org.apache.rocketmq.remoting.protocol.subscription.SubscriptionGroupConfig;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

/**
 * Load generator for scripts/bench-grpc.sh: the official 5.x gRPC client (rocketmq-client-java 5.2.0)
 * and, for the remoting path beside it, the official remoting client (rocketmq-client 5.3.3) — one JVM,
 * the same threads, bodies and topics' shape, so the client side costs alike on both paths.
 *
 * <pre>
 *   Bench setup                          topics BenchGrpc, BenchRemoting (8 queues, message.type NORMAL)
 *                                        and the groups, on every master, via DefaultMQAdminExt
 *   Bench produce grpc|remoting          BENCH_THREADS threads of synchronous 1 KiB sends: BENCH_WARM s
 *                                        warm-up, then BENCH_DURATION s (or BENCH_COUNT messages) measured
 *   Bench consume simple|push|remoting TOTAL MEASURED
 *                                        drain TOTAL messages with a new group; measured: the last
 *                                        MEASURED of them (the first ones warm up client and server)
 *                                        simple: SimpleConsumer, BENCH_CONSUMERS threads of receive(32),
 *                                        every message acked with ackAsync (up to 1024 acks in flight);
 *                                        push: PushConsumer (the client's own receive/ack, 20 threads);
 *                                        remoting: DefaultMQPushConsumer (pull-based), Java defaults
 * </pre>
 *
 * Settings (environment): BENCH_NAMESRV, BENCH_ENDPOINT (gRPC host:port), BENCH_SIZE (1024),
 * BENCH_PIDS (comma-separated server pids: their utime+stime over the measured window is reported per
 * message), BENCH_HZ (clock ticks per second, 100), BENCH_TLS (0).
 *
 * Each phase prints one line {@code BENCH {json}} with messages, seconds, msgs_per_s, latency
 * percentiles (produce), server CPU µs per message, this client's CPU and the whole machine's CPU (%,
 * of nproc × 100) over the window, failures.
 */
public final class Bench {
    static final String GRPC_TOPIC = "BenchGrpc";
    static final String REMOTING_TOPIC = "BenchRemoting";
    static final String[] GROUPS = {"bench_simple", "bench_push", "bench_remoting"};

    static String namesrv;
    static String endpoint;
    static int size;
    static int hz;
    static long[] pids;
    static final long T0 = System.nanoTime();

    static void log(String fmt, Object... args) {
        System.out.printf(Locale.ROOT, "[bench %6.1fs] %s%n", (System.nanoTime() - T0) / 1e9,
            String.format(Locale.ROOT, fmt, args));
        System.out.flush();
    }

    static String env(String name, String def) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? def : v;
    }

    // ---- CPU accounting from /proc ---------------------------------------------------------------

    /** utime+stime (clock ticks) of a process; -1 when it is gone. */
    static long ticks(String pid) {
        try {
            String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            // after "pid (comm) ": state is field 3, utime 14, stime 15 -> indices 11 and 12 here
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    static long serverTicks() {
        long sum = 0;
        for (long p : pids) {
            sum += Math.max(0, ticks(Long.toString(p)));
        }
        return sum;
    }

    /** [busy, total] jiffies of the whole machine (busy = total - idle - iowait). */
    static long[] machine() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length && i <= 8; i++) {
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            return new long[] {total - idle, total};
        } catch (IOException | RuntimeException e) {
            return new long[] {0, 0};
        }
    }

    /** A measured window: CPU of the servers, this client and the machine between open() and close(). */
    static final class Window {
        long t0, t1, s0, s1, c0, c1;
        long[] m0, m1;

        void open() {
            s0 = serverTicks();
            c0 = ticks("self");
            m0 = machine();
            t0 = System.nanoTime();
        }

        void close() {
            t1 = System.nanoTime();
            s1 = serverTicks();
            c1 = ticks("self");
            m1 = machine();
        }

        double seconds() {
            return (t1 - t0) / 1e9;
        }

        String json(long messages) {
            double secs = seconds();
            double serverUs = (s1 - s0) * 1e6 / hz;
            double clientPct = (c1 - c0) * 100.0 / hz / secs;
            int cores = Runtime.getRuntime().availableProcessors();
            double machinePct = m1[1] > m0[1] ? (m1[0] - m0[0]) * 100.0 * cores / (m1[1] - m0[1]) : 0;
            return String.format(Locale.ROOT,
                "\"messages\":%d,\"seconds\":%.3f,\"msgs_per_s\":%.1f,\"server_cpu_us_per_msg\":%.2f,"
                    + "\"server_cpu_pct\":%.1f,\"client_cpu_pct\":%.1f,\"machine_cpu_pct\":%.1f",
                messages, secs, messages / secs, messages > 0 ? serverUs / messages : 0, serverUs / 1e4 / secs,
                clientPct, machinePct);
        }
    }

    // ---- setup -----------------------------------------------------------------------------------

    static int setup() throws Exception {
        DefaultMQAdminExt admin = new DefaultMQAdminExt(5000);
        admin.setNamesrvAddr(namesrv);
        admin.setInstanceName("bench-admin-" + System.nanoTime());
        admin.start();
        try {
            List<String> brokers = new ArrayList<>();
            long deadline = System.currentTimeMillis() + 60_000;
            while (brokers.isEmpty()) {
                ClusterInfo ci = admin.examineBrokerClusterInfo();
                for (BrokerData bd : ci.getBrokerAddrTable().values()) {
                    String a = bd.getBrokerAddrs().get(0L);
                    if (a != null) {
                        brokers.add(a);
                    }
                }
                if (brokers.isEmpty()) {
                    if (System.currentTimeMillis() > deadline) {
                        log("FAIL: no master registered with %s", namesrv);
                        return 1;
                    }
                    Thread.sleep(250);
                }
            }
            for (String t : List.of(GRPC_TOPIC, REMOTING_TOPIC)) {
                TopicConfig tc = new TopicConfig(t, 8, 8);
                Map<String, String> attrs = new HashMap<>();
                attrs.put("+message.type", "NORMAL");
                tc.setAttributes(attrs);
                for (String b : brokers) {
                    admin.createAndUpdateTopicConfig(b, tc);
                }
            }
            for (String g : GROUPS) {
                SubscriptionGroupConfig sg = new SubscriptionGroupConfig();
                sg.setGroupName(g);
                for (String b : brokers) {
                    admin.createAndUpdateSubscriptionGroupConfig(b, sg);
                }
            }
            for (String t : List.of(GRPC_TOPIC, REMOTING_TOPIC)) {
                while (true) {
                    try {
                        TopicRouteData r = admin.examineTopicRouteInfo(t);
                        if (r != null && !r.getQueueDatas().isEmpty()) {
                            break;
                        }
                    } catch (Exception e) {
                        // not routed yet
                    }
                    if (System.currentTimeMillis() > deadline) {
                        log("FAIL: no route for %s", t);
                        return 1;
                    }
                    Thread.sleep(100);
                }
            }
            log("topics %s, %s (8 queues, NORMAL) and groups %s on %s", GRPC_TOPIC, REMOTING_TOPIC,
                Arrays.toString(GROUPS), brokers);
            return 0;
        } finally {
            admin.shutdown();
        }
    }

    // ---- produce ---------------------------------------------------------------------------------

    interface Sender {
        void send(byte[] body) throws Exception;
    }

    /** A growable list of latencies (ns), one per thread. */
    static final class Lats {
        long[] a = new long[1 << 16];
        int n;

        void add(long v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }
    }

    static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }

    /** 0 warm-up, 1 measured, 2 stop. */
    static volatile int phase;

    /** Consumers stop receiving. */
    static volatile boolean stop;

    static int produce(String path) throws Exception {
        int threads = Integer.parseInt(env("BENCH_THREADS", "64"));
        double warm = Double.parseDouble(env("BENCH_WARM", "6"));
        double duration = Double.parseDouble(env("BENCH_DURATION", "10"));
        long countTarget = Long.parseLong(env("BENCH_COUNT", "0"));
        byte[] body = new byte[size];
        new Random(42).nextBytes(body);

        AutoCloseable client;
        Sender sender;
        if (path.equals("grpc")) {
            ClientServiceProvider provider = ClientServiceProvider.loadService();
            Producer p = provider.newProducerBuilder().setClientConfiguration(grpcConfig()).setTopics(GRPC_TOPIC)
                .build();
            client = p;
            sender = b -> p.send(provider.newMessageBuilder().setTopic(GRPC_TOPIC).setBody(b).build());
        } else {
            DefaultMQProducer p = new DefaultMQProducer("bench_producer");
            p.setNamesrvAddr(namesrv);
            p.setInstanceName("bench-" + System.nanoTime());
            p.start();
            client = p::shutdown;
            sender = b -> {
                var r = p.send(new org.apache.rocketmq.common.message.Message(REMOTING_TOPIC, b));
                if (r.getSendStatus() != SendStatus.SEND_OK) {
                    throw new IllegalStateException("send status " + r.getSendStatus());
                }
            };
        }
        log("produce over %s: %d threads of synchronous sends, %d-byte bodies, %.0f s warm-up, then %s", path,
            threads, size, warm, countTarget > 0 ? countTarget + " messages" : duration + " s");

        AtomicLong warmSent = new AtomicLong();
        AtomicLong measured = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        Lats[] lats = new Lats[threads];
        CountDownLatch reached = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Lats l = lats[i] = new Lats();
            Thread t = new Thread(() -> {
                while (true) {
                    int ph = phase;
                    if (ph == 2 || (ph == 1 && countTarget > 0 && measured.get() >= countTarget)) {
                        return;
                    }
                    long s = System.nanoTime();
                    try {
                        sender.send(body);
                    } catch (Exception e) {
                        if (failed.incrementAndGet() <= 5) {
                            log("send failed: %s", Grpc5Compat.rootMessage(e));
                        }
                        continue;
                    }
                    long lat = System.nanoTime() - s;
                    if (ph == 0) {
                        warmSent.incrementAndGet();
                    } else {
                        // A send that ends after the window closed is counted as sent, not as measured.
                        if (phase == 1) {
                            l.add(lat);
                        }
                        if (measured.incrementAndGet() == countTarget) {
                            reached.countDown();
                        }
                    }
                }
            }, "bench-send-" + i);
            ts.add(t);
            t.start();
        }
        Thread.sleep((long) (warm * 1000));
        Window w = new Window();
        w.open();
        phase = 1;
        if (countTarget > 0) {
            if (!reached.await(600, TimeUnit.SECONDS)) {
                log("WARNING: %d of %d measured messages in 600 s", measured.get(), countTarget);
            }
        } else {
            Thread.sleep((long) (duration * 1000));
        }
        w.close();
        phase = 2;
        for (Thread t : ts) {
            t.join(30_000);
        }
        int total = 0;
        for (Lats l : lats) {
            total += l.n;
        }
        long[] all = new long[total];
        int k = 0;
        for (Lats l : lats) {
            System.arraycopy(l.a, 0, all, k, l.n);
            k += l.n;
        }
        Arrays.sort(all);
        // Messages of the window: the latencies recorded (sends begun before the window that ended in it
        // count, those still in flight at its end do not — at most one per thread either way).
        long msgs = all.length;
        String json = String.format(Locale.ROOT,
            "{\"phase\":\"produce\",\"path\":\"%s\",\"threads\":%d,\"size\":%d,\"warmup_messages\":%d,%s,"
                + "\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f,\"failed\":%d,"
                + "\"total_sent\":%d}",
            path, threads, size, warmSent.get(), w.json(msgs), pct(all, 50), pct(all, 90), pct(all, 99),
            pct(all, 99.9), pct(all, 100), failed.get(), warmSent.get() + measured.get());
        log("%s: %d messages in %.1f s = %.0f msgs/s, p50 %.2f ms, p99 %.2f ms, %d failed", path, msgs, w.seconds(),
            msgs / w.seconds(), pct(all, 50), pct(all, 99), failed.get());
        System.out.println("BENCH " + json);
        client.close();
        return failed.get() == 0 ? 0 : 1;
    }

    static ClientConfiguration grpcConfig() {
        return ClientConfiguration.newBuilder().setEndpoints(endpoint).enableSsl(!env("BENCH_TLS", "0").equals("0"))
            .setRequestTimeout(Duration.ofSeconds(10)).build();
    }

    // ---- consume ---------------------------------------------------------------------------------

    /** Counts consumed messages; opens the window at TOTAL - MEASURED, closes it at TOTAL. */
    static final class Drain {
        final long total, startAt;
        final AtomicLong done = new AtomicLong();
        final Window w = new Window();
        final CountDownLatch finished = new CountDownLatch(1);
        volatile long windowStartCount;

        Drain(long total, long measured) {
            this.total = total;
            this.startAt = Math.max(0, total - measured);
            if (startAt == 0) {
                w.open();
            }
        }

        void one() {
            long d = done.incrementAndGet();
            if (d == startAt && startAt > 0) {
                synchronized (this) {
                    w.open();
                    windowStartCount = d;
                }
            }
            if (d == total) {
                synchronized (this) {
                    w.close();
                }
                finished.countDown();
            }
        }
    }

    static int consume(String kind, long total, long measured) throws Exception {
        Drain d = new Drain(total, measured);
        AtomicLong failed = new AtomicLong();
        AutoCloseable client;
        int threads = Integer.parseInt(env("BENCH_CONSUMERS", "4"));
        log("consume (%s): drain %d messages, the last %d measured", kind, total, total - d.startAt);
        List<Thread> ts = new ArrayList<>();
        switch (kind) {
            case "simple": {
                ClientServiceProvider provider = ClientServiceProvider.loadService();
                SimpleConsumer c = provider.newSimpleConsumerBuilder().setClientConfiguration(grpcConfig())
                    .setConsumerGroup("bench_simple").setSubscriptionExpressions(Map.of(GRPC_TOPIC, FilterExpression.SUB_ALL))
                    .setAwaitDuration(Duration.ofSeconds(5)).build();
                client = c;
                Semaphore acks = new Semaphore(1024);
                for (int i = 0; i < threads; i++) {
                    Thread t = new Thread(() -> {
                        while (!stop) {
                            List<MessageView> got;
                            try {
                                got = c.receive(32, Duration.ofSeconds(60));
                            } catch (Exception e) {
                                if (!stop && failed.incrementAndGet() <= 5) {
                                    log("receive failed: %s", Grpc5Compat.rootMessage(e));
                                }
                                continue;
                            }
                            for (MessageView mv : got) {
                                acks.acquireUninterruptibly();
                                c.ackAsync(mv).whenComplete((v, e) -> {
                                    acks.release();
                                    if (e != null) {
                                        if (failed.incrementAndGet() <= 5) {
                                            log("ack failed: %s", Grpc5Compat.rootMessage(e));
                                        }
                                    } else {
                                        d.one();
                                    }
                                });
                            }
                        }
                    }, "bench-receive-" + i);
                    t.setDaemon(true);
                    ts.add(t);
                    t.start();
                }
                break;
            }
            case "push": {
                ClientServiceProvider provider = ClientServiceProvider.loadService();
                PushConsumer c = provider.newPushConsumerBuilder().setClientConfiguration(grpcConfig())
                    .setConsumerGroup("bench_push").setSubscriptionExpressions(Map.of(GRPC_TOPIC, FilterExpression.SUB_ALL))
                    .setMessageListener(mv -> {
                        d.one();
                        return ConsumeResult.SUCCESS;
                    }).build();
                client = c;
                break;
            }
            case "remoting": {
                DefaultMQPushConsumer c = new DefaultMQPushConsumer("bench_remoting");
                c.setNamesrvAddr(namesrv);
                c.setInstanceName("bench-" + System.nanoTime());
                c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
                c.subscribe(REMOTING_TOPIC, "*");
                c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
                    for (int i = 0; i < msgs.size(); i++) {
                        d.one();
                    }
                    return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
                });
                c.start();
                client = c::shutdown;
                break;
            }
            default:
                throw new IllegalArgumentException(kind);
        }
        // Wait until drained, or no progress for 30 s.
        long last = -1, lastChange = System.currentTimeMillis();
        while (!d.finished.await(500, TimeUnit.MILLISECONDS)) {
            long now = d.done.get();
            if (now != last) {
                last = now;
                lastChange = System.currentTimeMillis();
            } else if (System.currentTimeMillis() - lastChange > 30_000) {
                log("WARNING: stuck at %d of %d messages for 30 s; reporting what was consumed", now, total);
                synchronized (d) {
                    d.w.close();
                }
                break;
            }
        }
        stop = true;
        long n;
        synchronized (d) {
            n = Math.min(d.done.get(), total) - d.startAt;
        }
        String json = String.format(Locale.ROOT, "{\"phase\":\"consume\",\"path\":\"%s\",\"total\":%d,%s,\"failed\":%d,"
            + "\"complete\":%b}", kind, d.done.get(), d.w.json(Math.max(0, n)), failed.get(), d.done.get() >= total);
        log("%s: %d messages in %.1f s = %.0f msgs/s (%d consumed in all, %d failed)", kind, n, d.w.seconds(),
            n / d.w.seconds(), d.done.get(), failed.get());
        System.out.println("BENCH " + json);
        // Closing a consumer waits for its long polls; the numbers are out, so exit without it.
        return d.done.get() >= total && failed.get() == 0 ? 0 : 1;
    }

    public static void main(String[] args) throws Exception {
        namesrv = env("BENCH_NAMESRV", "127.0.0.1:9876");
        endpoint = env("BENCH_ENDPOINT", "127.0.0.1:8081");
        size = Integer.parseInt(env("BENCH_SIZE", "1024"));
        hz = Integer.parseInt(env("BENCH_HZ", "100"));
        String p = env("BENCH_PIDS", "");
        pids = p.isEmpty() ? new long[0] : Arrays.stream(p.split(",")).mapToLong(Long::parseLong).toArray();
        int rc;
        String mode = args.length > 0 ? args[0] : "";
        switch (mode) {
            case "setup":
                rc = setup();
                break;
            case "produce":
                rc = produce(args[1]);
                break;
            case "consume":
                rc = consume(args[1], Long.parseLong(args[2]), Long.parseLong(args[3]));
                break;
            default:
                System.err.println("usage: Bench setup | produce grpc|remoting | consume simple|push|remoting TOTAL MEASURED");
                rc = 2;
        }
        System.out.flush();
        Runtime.getRuntime().halt(rc);
    }

    private Bench() {
    }
}
