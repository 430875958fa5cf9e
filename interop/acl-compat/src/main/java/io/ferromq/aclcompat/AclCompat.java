package io.ferromq.aclcompat;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.rocketmq.acl.common.AclClientRPCHook;
import org.apache.rocketmq.acl.common.SessionCredentials;
import org.apache.rocketmq.client.consumer.DefaultMQPullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueAveragely;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.remoting.RPCHook;
import org.apache.rocketmq.tools.command.MQAdminStartup;

/**
 * The official RocketMQ Java client (5.3.3) and mqadmin against a FerroMQ broker with access
 * control: {@code AclCompat v2} and {@code v2-binary} run the ACL 2.0 scenarios ({@link Acl2}),
 * {@code v1} and {@code v1-white} the ACL 1.0 ones ({@link Acl1}). The NameServer and broker come
 * from AC_NAMESRV and AC_BROKER. Every check prints one {@code [acl-compat] ok|FAIL} line (with
 * the time since start when AC_DEBUG is set); the exit code is 0, 1 or 2 (failed checks, capped),
 * 3 when the run aborted.
 *
 * <p>mqadmin runs in this JVM through its own entry point, {@code MQAdminStartup.main0(args,
 * null)}, which signs with {@code $ROCKETMQ_HOME/conf/tools.yml} exactly as the {@code mqadmin}
 * script does; a separate JVM per command would spend ~5 s each waiting for Netty's threads to
 * end. The ACL 1.0 commands come from rocketmq-tools 5.3.1 (AC_TOOLS_V1_CP), loaded in a class
 * loader of their own.
 */
public final class AclCompat {
    static int failures = 0;
    static final AtomicInteger SEQ = new AtomicInteger();
    static String namesrv;
    static String broker;
    static final long T0 = System.currentTimeMillis();

    public static void main(String[] args) {
        int rc;
        try {
            quickShutdowns();
            namesrv = System.getenv("AC_NAMESRV");
            broker = System.getenv("AC_BROKER");
            switch (args[0]) {
                case "v2" -> Acl2.run();
                case "v2-binary" -> Acl2.binaryHeaders();
                case "v1" -> Acl1.run();
                case "v1-white" -> Acl1.whitelisted(args[1]);
                default -> throw new IllegalArgumentException("unknown mode " + args[0]);
            }
            say(failures == 0 ? "PASS" : "FAIL (" + failures + ")");
            rc = Math.min(failures, 2);
        } catch (Throwable t) {
            t.printStackTrace(System.out);
            say("ABORTED: " + t);
            rc = 3;
        }
        System.out.flush();
        Runtime.getRuntime().halt(rc);
    }

    /**
     * Java's client spends up to 3 s in every client shutdown: NettyRemotingClient.shutdown joins
     * its NettyEventExecutor, which only looks at its stop flag between 3 s polls of its event
     * queue. With ~30 mqadmin commands (each a client of its own) that is most of the run, so a
     * watcher interrupts that poll while the main thread waits in it (the executor catches the
     * interrupt, sees the stop flag and ends). Client-side only: nothing on the wire changes.
     */
    static void quickShutdowns() {
        Thread main = Thread.currentThread();
        Thread watcher = new Thread(() -> {
            while (true) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
                StackTraceElement[] st = main.getStackTrace();
                for (int i = 0; i + 1 < st.length; i++) {
                    if (st[i].getClassName().equals("org.apache.rocketmq.common.ServiceThread") && st[i].getMethodName().equals("shutdown")
                        && st[i + 1].getClassName().endsWith(".ServiceThread")
                        && st[i + 2].getClassName().equals("org.apache.rocketmq.remoting.netty.NettyRemotingClient")) {
                        for (Thread t : Thread.getAllStackTraces().keySet()) {
                            if (t.getName().equals("NettyEventExecutor")) {
                                t.interrupt();
                            }
                        }
                        break;
                    }
                }
            }
        }, "acl-compat-quick-shutdowns");
        watcher.setDaemon(true);
        watcher.start();
    }

    // ---- checks and output ------------------------------------------------------------------

    static void check(boolean ok, String what) {
        say((ok ? "ok    " : "FAIL  ") + what);
        if (!ok) {
            failures++;
        }
    }

    static void say(String s) {
        System.out.println("[acl-compat] " + (System.getenv("AC_DEBUG") != null ? (System.currentTimeMillis() - T0) + "ms " : "") + s);
    }

    /** {@code got} equals {@code want} line for line (mqadmin pads with trailing spaces: kept). */
    static void checkLines(String what, List<String> got, List<String> want) {
        boolean ok = got.equals(want);
        check(ok, what);
        if (!ok) {
            want.forEach(l -> say("      want: " + l));
            got.forEach(l -> say("      got:  " + l));
        }
    }

    /** The output has a line equal to {@code want} (trailing blanks ignored). */
    static void checkHasLine(String what, List<String> got, String want) {
        boolean ok = got.stream().anyMatch(l -> l.stripTrailing().equals(want));
        check(ok, what);
        if (!ok) {
            say("      want a line: " + want);
            got.stream().limit(12).forEach(l -> say("      got:  " + l));
        }
    }

    // ---- credentials --------------------------------------------------------------------------

    static RPCHook hook(String ak, String sk) {
        return new AclClientRPCHook(new SessionCredentials(ak, sk));
    }

    // ---- mqadmin ------------------------------------------------------------------------------

    private static URLClassLoader toolsV1;

    /** mqadmin 5.3.3 ({@code MQAdminStartup.main0(args, null)}): its stdout and stderr lines. */
    static List<String> mqadmin(String... args) {
        return capture("mqadmin", args, () -> MQAdminStartup.main0(args, null));
    }

    /** mqadmin 5.3.3 signing with {@code hook} (what it does with another tools.yml). */
    static List<String> mqadminAs(RPCHook hook, String... args) {
        return capture("mqadmin(" + ((AclClientRPCHook) hook).getSessionCredentials().getAccessKey() + ")", args,
            () -> MQAdminStartup.main0(args, hook));
    }

    /** mqadmin 5.3.1 (the ACL 1.0 commands), from its own class loader. */
    static List<String> mqadminV1(String... args) {
        return capture("mqadmin-5.3.1", args, () -> {
            if (toolsV1 == null) {
                List<URL> urls = new ArrayList<>();
                for (String p : System.getenv("AC_TOOLS_V1_CP").split(File.pathSeparator)) {
                    urls.add(new File(p).toURI().toURL());
                }
                toolsV1 = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
            }
            Thread t = Thread.currentThread();
            ClassLoader saved = t.getContextClassLoader();
            t.setContextClassLoader(toolsV1);
            try {
                Class<?> startup = toolsV1.loadClass("org.apache.rocketmq.tools.command.MQAdminStartup");
                Class<?> hookType = toolsV1.loadClass("org.apache.rocketmq.remoting.RPCHook");
                Method main0 = startup.getMethod("main0", String[].class, hookType);
                main0.invoke(null, args, null);
            } finally {
                t.setContextClassLoader(saved);
            }
        });
    }

    interface Body {
        void run() throws Exception;
    }

    private static List<String> capture(String label, String[] args, Body body) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = System.out;
        PrintStream err = System.err;
        PrintStream cap = new PrintStream(buf, true, StandardCharsets.UTF_8);
        System.setOut(cap);
        System.setErr(cap);
        try {
            body.run();
        } catch (Throwable t) {
            t.printStackTrace(cap);
        } finally {
            cap.flush();
            System.setOut(out);
            System.setErr(err);
        }
        String text = buf.toString(StandardCharsets.UTF_8);
        out.println("   $ " + label + " " + String.join(" ", args));
        for (String l : text.split("\n", -1)) {
            if (!l.isEmpty()) {
                out.println("   | " + l);
            }
        }
        List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n")));
        lines.removeIf(String::isEmpty);
        return lines;
    }

    // ---- producing and consuming ----------------------------------------------------------------

    /** What one send ended with: SEND_OK, or the broker's refusal (code and remark). */
    record Outcome(String status, int code, String remark, String error) {
        boolean sent() {
            return "SEND_OK".equals(status);
        }

        boolean refused(int wantCode, String remarkPart) {
            return !sent() && code == wantCode && remark != null && remark.contains(remarkPart);
        }

        @Override
        public String toString() {
            if (code == 0) {
                return status;
            }
            return code < 0 ? "failed: " + error : "refused, CODE " + code + " remark \"" + remark + "\"";
        }
    }

    static Outcome outcome(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof MQBrokerException b) {
                return new Outcome("refused", b.getResponseCode(), b.getErrorMessage(), e.toString());
            }
        }
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof MQClientException m && m.getResponseCode() > 0) {
                return new Outcome("refused", m.getResponseCode(), m.getErrorMessage(), e.toString());
            }
        }
        return new Outcome("error", -1, null, e.toString());
    }

    /** A producer (signed with {@code hook}, or unsigned when null), used for a few sends. */
    static final class Producer implements AutoCloseable {
        final DefaultMQProducer p;

        Producer(String name, RPCHook hook) throws MQClientException {
            p = hook == null ? new DefaultMQProducer("acl_producer_" + name) : new DefaultMQProducer("acl_producer_" + name, hook);
            p.setNamesrvAddr(namesrv);
            // one client instance per identity: instances are shared (with their hook) by name
            p.setInstanceName("acl-" + name + "-" + SEQ.incrementAndGet());
            p.setSendMsgTimeout(5000);
            p.setRetryTimesWhenSendFailed(0);
            p.start();
        }

        Outcome send(String topic, String body) {
            try {
                SendResult r = p.send(new Message(topic, "acl", body.getBytes(StandardCharsets.UTF_8)));
                return new Outcome(r.getSendStatus().toString(), 0, null, null);
            } catch (Exception e) {
                return outcome(e);
            }
        }

        @Override
        public void close() {
            p.shutdown();
        }
    }

    static Outcome sendOnce(String name, RPCHook hook, String topic) throws MQClientException {
        try (Producer p = new Producer(name, hook)) {
            return p.send(topic, "once " + name);
        }
    }

    /** {@code n} messages with {@code hook} to {@code topic}: how many came back SEND_OK. */
    static Set<String> sendAll(String name, RPCHook hook, String topic, int n) throws MQClientException {
        Set<String> bodies = new HashSet<>();
        try (Producer p = new Producer(name, hook)) {
            for (int i = 0; i < n; i++) {
                String body = topic + " #" + i;
                Outcome o = p.send(topic, body);
                if (o.sent()) {
                    bodies.add(body);
                } else {
                    say("      send " + i + ": " + o);
                }
            }
        }
        return bodies;
    }

    /** A push consumer (signed with {@code hook}) of {@code group} on {@code topic}: what it got. */
    static Set<String> consume(String name, RPCHook hook, String group, String topic, Set<String> want) throws Exception {
        Set<String> got = java.util.concurrent.ConcurrentHashMap.newKeySet();
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(group, hook, new AllocateMessageQueueAveragely());
        c.setNamesrvAddr(namesrv);
        c.setInstanceName("acl-" + name + "-" + SEQ.incrementAndGet());
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                got.add(new String(m.getBody(), StandardCharsets.UTF_8));
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        long deadline = System.currentTimeMillis() + 30_000;
        while (!got.containsAll(want) && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        c.shutdown();
        return got;
    }

    /** One PULL_MESSAGE (the pull consumer surfaces the broker's answer as an exception). */
    static Outcome pullOnce(String name, RPCHook hook, String group, String topic) throws MQClientException {
        DefaultMQPullConsumer c = new DefaultMQPullConsumer(group, hook);
        c.setNamesrvAddr(namesrv);
        c.setInstanceName("acl-" + name + "-" + SEQ.incrementAndGet());
        c.start();
        try {
            MessageQueue mq = c.fetchSubscribeMessageQueues(topic).iterator().next();
            return new Outcome(c.pull(mq, "*", 0, 8).getPullStatus().toString(), 0, null, null);
        } catch (Exception e) {
            return outcome(e);
        } finally {
            c.shutdown();
        }
    }
}
