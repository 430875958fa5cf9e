package io.ferromq.interop;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.rocketmq.common.message.Message;

/**
 * Deterministic message bodies: binary (every byte value occurs), sizes from 1 byte to 10 KiB, every
 * 100th body larger than 4 KiB so the Java producer zlib-compresses it (sysFlag bit 0,
 * {@code compressMsgBodyOverHowmuch} = 4096) and the consumer must get it back decompressed.
 */
final class Bodies {
    /** User property carrying the message's index within its test. */
    static final String INDEX = "idx";

    private Bodies() {
    }

    /** Body number {@code i} of the run {@code runId}. */
    static byte[] body(String runId, int i) {
        int size = i % 100 == 99 ? 6000 + (i * 131) % 4000 : 1 + (i * 37) % 700;
        byte[] b = new byte[size];
        new SplittableRandom(runId.hashCode() * 1_000_003L + i).nextBytes(b);
        return b;
    }

    /** Message {@code i} of run {@code runId} to {@code topic}, with {@code idx} and {@code run} user properties. */
    static Message message(String topic, String runId, int i, String tags) {
        Message m = new Message(topic, body(runId, i));
        if (tags != null) {
            m.setTags(tags);
        }
        m.putUserProperty(INDEX, Integer.toString(i));
        m.putUserProperty("run", runId);
        return m;
    }

    static List<Message> messages(String topic, String runId, int from, int to, String tags) {
        List<Message> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add(message(topic, runId, i, tags));
        }
        return out;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
