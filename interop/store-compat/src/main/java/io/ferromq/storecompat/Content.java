package io.ferromq.storecompat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.apache.rocketmq.common.message.Message;

/**
 * What the store compatibility check sends: topics, queue counts, and per-message content that
 * is a pure function of (topic, seq), so a verifier can regenerate every body.
 */
final class Content {
    private Content() {
    }

    static final String[] TOPICS = {"SC_ORDERS", "SC_EVENTS", "SC_LOGS"};
    static final int[] QUEUES = {4, 3, 2};
    static final int[] COUNTS = {240, 200, 640};
    static final String[] TAGS = {"TagA", "TagB", "Tag\u2713\uD83D\uDE00", null};
    /** Tag expression used for the filtered pull check. */
    static final String TAG_FILTER = "TagA || Tag\u2713\uD83D\uDE00";
    static final String BATCH_TOPIC = "SC_EVENTS";
    static final int BATCH_QUEUE = 1;
    static final int BATCH_SIZE = 16;
    static final int BATCH_SEQ_BASE = 10_000;


    static byte[] body(String topic, int seq, int len) {
        byte[] pat = (topic + ":" + seq + ";").getBytes(StandardCharsets.US_ASCII);
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = pat[i % pat.length];
        }
        return b;
    }

    static int bodyLen(int topicIdx, int seq) {
        return switch (topicIdx) {
            case 0 -> seq % 8 == 5 ? 6000 + (seq * 997) % 24000 : 200 + (seq * 131) % 2800;
            case 1 -> seq % 10 == 3 ? 5000 + (seq * 379) % 7000 : 100 + (seq * 53) % 1400;
            default -> 3000 + (seq * 89) % 900;
        };
    }

    static String tagsFor(int seq) {
        return TAGS[seq % TAGS.length];
    }

    static String keysFor(String topic, int seq) {
        if (seq % 7 == 6) {
            return null;
        }
        String k = "k-" + topic + "-" + seq;
        return seq % 3 == 0 ? k + " shared-" + topic + "-" + (seq % 5) : k;
    }

    static String noteFor(int seq) {
        return seq % 4 == 0 ? "h\u00e9llo w\u00f6rld \u2713 #" + seq : null;
    }

    static Message message(String topic, int topicIdx, int seq, String origin) {
        int len = topicIdx < 0 ? 64 + seq % 200 : bodyLen(topicIdx, seq);
        Message m = new Message(topic, body(topic, seq, len));
        String tags = tagsFor(seq);
        if (tags != null) {
            m.setTags(tags);
        }
        String keys = keysFor(topic, seq);
        if (keys != null) {
            m.setKeys(Arrays.asList(keys.split(" ")));
        }
        m.putUserProperty("seq", Integer.toString(seq));
        m.putUserProperty("origin", origin);
        String note = noteFor(seq);
        if (note != null) {
            m.putUserProperty("note", note);
        }
        return m;
    }
}
