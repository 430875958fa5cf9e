package io.ferromq.interop;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polling with a deadline instead of fixed sleeps. */
final class Await {
    private static final long POLL_MILLIS = 50;

    private Await() {
    }

    /** Waits until {@code condition} holds; fails the test with {@code what} (and {@code state}) on timeout. */
    static void until(String what, Duration timeout, BooleanSupplier condition, Supplier<String> state) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout.toMillis() + " ms waiting for " + what
                    + (state == null ? "" : " (" + state.get() + ")"));
            }
            sleep(POLL_MILLIS);
        }
    }

    static void until(String what, Duration timeout, BooleanSupplier condition) {
        until(what, timeout, condition, null);
    }

    /**
     * Calls {@code call} until it returns a non-null value without throwing; returns that value.
     * On timeout the test fails with the last exception as cause.
     */
    static <T> T value(String what, Duration timeout, Callable<T> call) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Throwable last = null;
        while (true) {
            try {
                T v = call.call();
                if (v != null) {
                    return v;
                }
            } catch (Exception e) {
                last = e;
            }
            if (System.nanoTime() > deadline) {
                AssertionError err = new AssertionError("timed out after " + timeout.toMillis()
                    + " ms waiting for " + what + (last == null ? "" : ": " + last));
                if (last != null) {
                    err.initCause(last);
                }
                throw err;
            }
            sleep(POLL_MILLIS);
        }
    }

    /** Holds for {@code period}: checks {@code condition} stays true the whole time (for "nothing more arrives"). */
    static void during(String what, Duration period, BooleanSupplier condition, Supplier<String> state) {
        long end = System.nanoTime() + period.toNanos();
        while (System.nanoTime() < end) {
            if (!condition.getAsBoolean()) {
                fail("expected " + what + " to hold for " + period.toMillis() + " ms"
                    + (state == null ? "" : " (" + state.get() + ")"));
            }
            sleep(POLL_MILLIS);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
