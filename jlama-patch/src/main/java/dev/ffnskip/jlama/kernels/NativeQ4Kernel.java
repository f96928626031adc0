package dev.ffnskip.jlama.kernels;

import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Optional;

/**
 * Our decode matmul, Q4 weights x I8 activations for one token, in C ({@code src/main/c/ffnskip_q4.c}, AVX-512 VNNI),
 * built by this repository's Maven build into the jar and called through the FFM API.
 *
 * <p>Why native: the Vector API has no byte dot-product operation (VNNI's {@code vpdpbusd}), and every widening
 * conversion it offers costs more than the multiply-add itself; the pure-Java variants tried stayed below Jlama's own
 * native kernel (see docs/performance.md, "Decode kernels"). The library is loaded
 * once; {@link #available()} is false (and Jlama's own kernels stay in use) when it was not built, cannot be loaded,
 * or the CPU lacks AVX-512 BW/VL/VNNI.
 */
public final class NativeQ4Kernel {
    /** Weights per quantization block (Jlama's Q4 and Q8 alike). */
    public static final int BLOCK = 32;
    /** The kernel steps over two blocks at a time. */
    public static final int COLUMN_MULTIPLE = 64;
    private static final String RESOURCE = "/dev/ffnskip/jlama/kernels/native/linux-x86_64/libffnskip_q4.so";

    private static final Holder HOLDER = Holder.load();

    private NativeQ4Kernel() {}

    /** Whether the native kernel can run in this process. */
    public static boolean available() {
        return HOLDER.rows != null;
    }

    /** Why the kernel is not available (empty when it is). */
    public static Optional<String> unavailableReason() {
        return Optional.ofNullable(HOLDER.reason);
    }

    /**
     * {@code out[r] = sum_c x[c] * w[r, c]} for {@code rows} rows: {@code w} (Jlama Q4 bytes) from byte offset
     * {@code wOff}, its block scales (float32, {@code cols / 32} per row) from {@code wdOff}; {@code x} ({@code cols}
     * int8) from {@code xOff} and its scales from {@code xdOff}; {@code out} (float32) from byte offset {@code outOff}.
     * {@code cols} must be a multiple of {@link #COLUMN_MULTIPLE}. Allocation-free; the caller checks bounds.
     */
    public static void rows(MemorySegment w, long wOff, MemorySegment wd, long wdOff, MemorySegment x, long xOff,
            MemorySegment xd, long xdOff, MemorySegment out, long outOff, int cols, int rows) {
        int rc;
        try {
            rc = (int) HOLDER.rows.invokeExact(w, wOff, wd, wdOff, x, xOff, xd, xdOff, out, outOff, cols, rows);
        } catch (Throwable e) {
            throw new IllegalStateException("native Q4 kernel failed: " + e, e);
        }
        if (rc != 0) throw new OutOfMemoryError("native Q4 kernel: no scratch memory for " + cols + " columns");
    }

    private record Holder(MethodHandle rows, String reason) {
        static Holder load() {
            if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")
                || !System.getProperty("os.arch", "").matches("amd64|x86_64")) {
                return new Holder(null, "only built for Linux x86-64");
            }
            try (InputStream in = NativeQ4Kernel.class.getResourceAsStream(RESOURCE)) {
                if (in == null) return new Holder(null, "not built (no C compiler when this jar was built)");
                Path file = Files.createTempFile("ffnskip_q4", ".so");
                file.toFile().deleteOnExit();
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                Linker linker = Linker.nativeLinker();
                SymbolLookup lib = SymbolLookup.libraryLookup(file, Arena.global());
                MethodHandle supported = linker.downcallHandle(lib.find("ffs_q4_supported").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT));
                if ((int) supported.invokeExact() == 0) return new Holder(null, "this CPU lacks AVX-512 BW/VL/VNNI");
                var p = ValueLayout.ADDRESS;
                var l = ValueLayout.JAVA_LONG;
                var i = ValueLayout.JAVA_INT;
                // critical: a short leaf call that never calls back into Java; it may read heap-backed segments
                MethodHandle rows = linker.downcallHandle(lib.find("ffs_q4_i8_rows").orElseThrow(),
                    FunctionDescriptor.of(i, p, l, p, l, p, l, p, l, p, l, i, i), Linker.Option.critical(true));
                return new Holder(rows, null);
            } catch (Throwable e) { // I/O, linking, or the probe call itself: every failure means Jlama's kernels
                return new Holder(null, "cannot load: " + e);
            }
        }
    }
}
