/*
 * ffn-skip decode kernel: one token's activations (Jlama Q8: int8 in blocks of 32, one float scale per block) times
 * a chunk of rows of a Jlama Q4 weight matrix (per block of 32: 16 bytes, element k < 16 in the low nibble of byte k,
 * element k + 16 in its high nibble, value (nibble - 8) * scale; one float scale per block). The same layout as ggml's
 * Q4_0 with float32 scales, so the weights Jlama loaded are used as they are: no conversion at load time.
 *
 * Written for AVX-512 with VNNI (vpdpbusd multiplies unsigned bytes by signed bytes and adds groups of four into
 * int32 lanes). Per step: two blocks of one row, 64 weights, in one 512-bit register. The nibbles are used as the
 * unsigned operand (0..15) and the "- 8" is folded in by starting each dot product from -8 * (sum of its x), which is
 * computed once per call and shared by every row. Integer sums are exact; each block's sum is converted to float and
 * accumulated with its two scales (weight and activation) by one fused multiply-add per lane.
 *
 * Built by Maven (src/main/c/build.sh) into the jar; Java loads it through the FFM API (NativeQ4Kernel) and falls back
 * to Jlama's own kernels when the library or these CPU features are missing.
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* How far ahead of the weights being read the kernel asks for the next ones (measured best of 0.5-16 KB here). */
#define PREFETCH_BYTES 8192

/* 1 when this CPU has what the kernel uses. */
int ffs_q4_supported(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512vnni");
}

/* Per calling thread: the activations reordered to the register order of the weights, and the "- 8" start values. */
static __thread int8_t *xp_buf;
static __thread int32_t *nc_buf;
static __thread float *ds_buf;
static __thread int scratch_cols;

static int ensure_scratch(int cols) {
    if (cols <= scratch_cols) return 1;
    free(xp_buf);
    free(nc_buf);
    free(ds_buf);
    xp_buf = aligned_alloc(64, (size_t) cols);
    nc_buf = aligned_alloc(64, (size_t) cols);          /* cols / 4 int32 */
    ds_buf = aligned_alloc(64, ((size_t) cols / 8 + 127) & ~(size_t) 63); /* cols / 32 floats (+ padding) */
    if (!xp_buf || !nc_buf || !ds_buf) { scratch_cols = 0; return 0; }
    scratch_cols = cols;
    return 1;
}

/*
 * out[r] = sum over columns of x * w[r] for r in [0, rows), where
 *   w   = q4 + wOff (bytes), row r at w + r * cols / 2;  wd = q4scales + wdOff (bytes), row r at wd + r * cols / 32
 *   x   = x8 + xOff (cols int8), xd = xscales + xdOff (cols / 32 floats), out = dst + outOff (bytes)
 * cols must be a multiple of 64. Returns 0, or -1 when scratch memory could not be allocated.
 */
int ffs_q4_i8_rows(const uint8_t *q4, long wOff, const uint8_t *q4scales, long wdOff,
                   const int8_t *x8, long xOff, const uint8_t *xscales, long xdOff,
                   uint8_t *dst, long outOff, int cols, int rows) {
    if (!ensure_scratch(cols)) return -1;
    const uint8_t *w = q4 + wOff;
    const float *wd = (const float *) (q4scales + wdOff);
    const int8_t *x = x8 + xOff;
    const float *xd = (const float *) (xscales + xdOff);
    float *out = (float *) (dst + outOff);
    const int nb = cols / 32;

    /* The weights of a block pair come out of one 256-bit load as [lo(b0), lo(b1), hi(b0), hi(b1)] (16 bytes each);
       x is reordered to match once, and each lane's start value is -8 times the sum of its four x. */
    int8_t *xp = xp_buf;
    for (int b = 0; b < nb; b += 2) {
        memcpy(xp + b * 32, x + b * 32, 16);
        memcpy(xp + b * 32 + 16, x + (b + 1) * 32, 16);
        memcpy(xp + b * 32 + 32, x + b * 32 + 16, 16);
        memcpy(xp + b * 32 + 48, x + (b + 1) * 32 + 16, 16);
    }
    const __m512i eights = _mm512_set1_epi8(8);
    for (int p = 0; p < nb / 2; p++) {
        __m512i xv = _mm512_load_si512((const void *) (xp + p * 64));
        /* sum of 4 signed x per lane, times -8: dpbusd(0, 8, x) = 8 * sum, negated */
        __m512i s = _mm512_dpbusd_epi32(_mm512_setzero_si512(), eights, xv);
        _mm512_store_si512((void *) (nc_buf + p * 16), _mm512_sub_epi32(_mm512_setzero_si512(), s));
    }
    memcpy(ds_buf, xd, (size_t) nb * sizeof(float));

    const __m256i m4 = _mm256_set1_epi8(0x0F);
    const __m512i sidx = _mm512_set_epi32(1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0);
    for (int r = 0; r < rows; r++) {
        const uint8_t *wr = w + (size_t) r * nb * 16;
        const float *dr = wd + (size_t) r * nb;
        __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
        int b = 0;
        for (; b + 4 <= nb; b += 4) {
            /* The hardware prefetcher alone keeps one core at ~9 GB/s on this stream; fetching 8 KB ahead (weights)
               and the same rows ahead in their scales (a quarter of the bytes) doubles that. Prefetches never fault, so running past the end is harmless. */
            _mm_prefetch((const char *) (wr + b * 16 + PREFETCH_BYTES), _MM_HINT_T0);
            _mm_prefetch((const char *) (dr + b + PREFETCH_BYTES / 4 / sizeof(float)), _MM_HINT_T0);
            __m256i w0 = _mm256_loadu_si256((const __m256i *) (wr + b * 16));
            __m512i q0 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_and_si256(w0, m4)),
                                            _mm256_and_si256(_mm256_srli_epi16(w0, 4), m4), 1);
            __m512i d0 = _mm512_dpbusd_epi32(_mm512_load_si512(nc_buf + b * 8), q0, _mm512_load_si512(xp + b * 32));
            /* both scales of blocks b..b+3; lanes 0, 1 go with d0 (blocks b, b + 1), lanes 2, 3 with d1 */
            __m128 p = _mm_mul_ps(_mm_loadu_ps(dr + b), _mm_loadu_ps(ds_buf + b));
            __m512 s0 = _mm512_permutexvar_ps(sidx, _mm512_castps128_ps512(p));
            acc0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d0), s0, acc0);

            __m256i w1 = _mm256_loadu_si256((const __m256i *) (wr + b * 16 + 32));
            __m512i q1 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_and_si256(w1, m4)),
                                            _mm256_and_si256(_mm256_srli_epi16(w1, 4), m4), 1);
            __m512i d1 = _mm512_dpbusd_epi32(_mm512_load_si512(nc_buf + b * 8 + 16), q1, _mm512_load_si512(xp + b * 32 + 64));
            __m512 s1 = _mm512_permutexvar_ps(sidx, _mm512_castps128_ps512(_mm_movehl_ps(p, p)));
            acc1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d1), s1, acc1);
        }
        for (; b < nb; b += 2) { /* a last single pair */
            __m256i w0 = _mm256_loadu_si256((const __m256i *) (wr + b * 16));
            __m512i q0 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_and_si256(w0, m4)),
                                            _mm256_and_si256(_mm256_srli_epi16(w0, 4), m4), 1);
            __m512i d0 = _mm512_dpbusd_epi32(_mm512_load_si512(nc_buf + b * 8), q0, _mm512_load_si512(xp + b * 32));
            __m128 p0 = _mm_castsi128_ps(_mm_loadl_epi64((const __m128i *) (dr + b)));
            __m128 x0 = _mm_castsi128_ps(_mm_loadl_epi64((const __m128i *) (ds_buf + b)));
            __m512 s0 = _mm512_permutexvar_ps(sidx, _mm512_castps128_ps512(_mm_mul_ps(p0, x0)));
            acc0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d0), s0, acc0);
        }
        out[r] = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
    }
    return 0;
}
