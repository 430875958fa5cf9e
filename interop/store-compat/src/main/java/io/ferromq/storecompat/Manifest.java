package io.ferromq.storecompat;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.rocketmq.common.message.Message;

/** What was sent and where it landed, as written by {@code produce} and read by {@code verify}. */
final class Manifest {
    /** One sent message as recorded in the manifest. */
    static final class Sent {
        String topic;
        int queue;
        long offset;
        int phase;
        int seq;
        String msgId;
        String offsetMsgId;
        /** The msgId a client sees when it pulls the message from the broker that stored it. */
        String pulledMsgId;
        String tags;
        String keys;
        int bodyLen;
        boolean batch;
        String note;

        String[] keyList() {
            return keys == null ? new String[0] : keys.split(" ");
        }
    }

    static Sent record(Message m, int seq, int phase, boolean batch) {
        Sent s = new Sent();
        s.topic = m.getTopic();
        s.seq = seq;
        s.phase = phase;
        s.tags = m.getTags();
        s.keys = m.getKeys();
        s.bodyLen = m.getBody().length;
        s.batch = batch;
        s.note = m.getUserProperty("note");
        return s;
    }


    String brokerName;
    long tmid;
    List<Sent> sent = new ArrayList<>();
    /** "topic\tqueue" to the offset group sc_group committed. */
    Map<String, Long> committed = new TreeMap<>();

    static String dash(String s) {
        return s == null ? "-" : s;
    }

    static String undash(String s) {
        return "-".equals(s) ? null : s;
    }

    /**
     * TSV, one record per line:
     * <pre>
     * broker    brokerName
     * tmid      millis between the phases (phase 1 stored before, phase 2 after)
     * msg       topic queue queueOffset phase seq msgId offsetMsgId tags tagsHashCode keys bodyLen compressed batch note
     *           pulledMsgId (msgId as pulled back from the writing broker; for a batch written by
     *           Java it is the batch's own UNIQ_KEY, which Java appends to every message)
     * committed group topic queue offset
     * </pre>
     * "-" means absent. compressed = the client sent the body zlib-compressed (body over 4 KiB, not
     * in a batch).
     */
    static void writeManifest(Path manifest, String brokerName, long tmid, List<Sent> sent,
        Map<String, Long> committed) throws IOException {
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(manifest, StandardCharsets.UTF_8))) {
            w.print("broker\t" + brokerName + "\n");
            w.print("tmid\t" + tmid + "\n");
            for (Sent s : sent) {
                boolean compressed = !s.batch && s.bodyLen > 4096;
                w.print(String.join("\t", "msg", s.topic, Integer.toString(s.queue), Long.toString(s.offset),
                    Integer.toString(s.phase), Integer.toString(s.seq), s.msgId, s.offsetMsgId, dash(s.tags),
                    s.tags == null ? "0" : Long.toString(s.tags.hashCode()), dash(s.keys), Integer.toString(s.bodyLen),
                    compressed ? "1" : "0", s.batch ? "1" : "0", dash(s.note), dash(s.pulledMsgId)) + "\n");
            }
            for (Map.Entry<String, Long> e : committed.entrySet()) {
                w.print("committed\t" + StoreCompat.GROUP + "\t" + e.getKey() + "\t" + e.getValue() + "\n");
            }
        }
    }

    static Manifest readManifest(Path manifest) throws IOException {
        Manifest m = new Manifest();
        for (String line : Files.readAllLines(manifest, StandardCharsets.UTF_8)) {
            String[] f = line.split("\t", -1);
            switch (f[0]) {
                case "broker" -> m.brokerName = f[1];
                case "tmid" -> m.tmid = Long.parseLong(f[1]);
                case "msg" -> {
                    Sent s = new Sent();
                    s.topic = f[1];
                    s.queue = Integer.parseInt(f[2]);
                    s.offset = Long.parseLong(f[3]);
                    s.phase = Integer.parseInt(f[4]);
                    s.seq = Integer.parseInt(f[5]);
                    s.msgId = f[6];
                    s.offsetMsgId = f[7];
                    s.tags = undash(f[8]);
                    s.keys = undash(f[10]);
                    s.bodyLen = Integer.parseInt(f[11]);
                    s.batch = "1".equals(f[13]);
                    s.note = undash(f[14]);
                    s.pulledMsgId = undash(f[15]);
                    m.sent.add(s);
                }
                case "committed" -> m.committed.put(f[2] + "\t" + f[3], Long.parseLong(f[4]));
                default -> { }
            }
        }
        return m;
    }

}
