package io.ferromq.interop;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/** Settings of the server under test, taken from environment variables (see README.md). */
final class Env {
    /** Java's default {@code messageDelayLevel}. */
    static final String DEFAULT_DELAY_LEVELS = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";

    private Env() {
    }

    /** NameServer address list, {@code host:port[;host:port...]} ({@code FERROMQ_NAMESRV}). */
    static String namesrv() {
        String v = System.getenv("FERROMQ_NAMESRV");
        return v == null || v.isBlank() ? "127.0.0.1:9876" : v.trim();
    }

    /** Each NameServer address of {@link #namesrv()} on its own. */
    static List<String> namesrvList() {
        List<String> out = new ArrayList<>();
        for (String s : namesrv().split(";")) {
            if (!s.isBlank()) {
                out.add(s.trim());
            }
        }
        return out;
    }

    /** Cluster to use when the NameServer knows several ({@code FERROMQ_CLUSTER}); null = the only/first one. */
    static String clusterOrNull() {
        String v = System.getenv("FERROMQ_CLUSTER");
        return v == null || v.isBlank() ? null : v.trim();
    }

    /** The server's {@code messageDelayLevel}, as durations ({@code FERROMQ_DELAY_LEVELS}). */
    static List<Duration> delayLevels() {
        String v = System.getenv("FERROMQ_DELAY_LEVELS");
        String spec = v == null || v.isBlank() ? DEFAULT_DELAY_LEVELS : v;
        List<Duration> out = new ArrayList<>();
        for (String part : spec.trim().split("\\s+")) {
            String p = part.toLowerCase(Locale.ROOT);
            char unit = p.charAt(p.length() - 1);
            long n = Long.parseLong(p.substring(0, p.length() - 1));
            switch (unit) {
                case 's' -> out.add(Duration.ofSeconds(n));
                case 'm' -> out.add(Duration.ofMinutes(n));
                case 'h' -> out.add(Duration.ofHours(n));
                case 'd' -> out.add(Duration.ofDays(n));
                default -> throw new IllegalArgumentException("bad delay level " + part);
            }
        }
        return out;
    }

    /** Delay of level {@code level} (1-based, as in {@code Message.setDelayTimeLevel}). */
    static Duration delayLevel(int level) {
        return delayLevels().get(level - 1);
    }

    /** {@code FERROMQ_SLOW=1} enables tests that take more than a minute. */
    static boolean slow() {
        return "1".equals(System.getenv("FERROMQ_SLOW"));
    }

    /** Header encoding of this JVM's client: JSON or ROCKETMQ. */
    static String serialization() {
        return System.getProperty("rocketmq.serialize.type", "JSON");
    }

    /** A name no earlier run used: {@code prefix_<12 hex>} (valid as topic and group name). */
    static String unique(String prefix) {
        return prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }
}
