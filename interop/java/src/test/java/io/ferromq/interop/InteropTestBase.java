package io.ferromq.interop;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * Per test: a fresh {@link Clients} scope and a started admin client; every client is shut down after the
 * test (in the background) and all shutdowns are awaited at the end of the class.
 *
 * <p>If the environment variable {@code FERROMQ_CAPTURE_PHASE_FILE} names a file, the running test's name
 * is written to it before the test starts (a capturing proxy uses it to label the frames each test causes).
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
abstract class InteropTestBase {
    protected Clients clients;
    protected DefaultMQAdminExt admin;

    @BeforeEach
    void openClients(TestInfo info) throws Exception {
        String phaseFile = System.getenv("FERROMQ_CAPTURE_PHASE_FILE");
        if (phaseFile != null && !phaseFile.isBlank()) {
            String name = Env.serialization() + "." + getClass().getSimpleName() + "."
                + info.getTestMethod().map(m -> m.getName()).orElse("unknown");
            writePhase(Path.of(phaseFile), name);
        }
        clients = new Clients();
        admin = clients.admin();
    }

    @AfterEach
    void closeClients() {
        if (clients != null) {
            clients.close();
        }
    }

    /** Every client of the class is shut down before the next class starts. */
    @AfterAll
    static void awaitClientShutdowns() {
        Clients.awaitShutdowns();
    }

    private static void writePhase(Path file, String name) throws IOException {
        Files.writeString(file, name + "\n", StandardCharsets.UTF_8);
    }
}
