/* AVX-512 float kernels: a blocked matrix product, a matrix-vector product, and element loops
 * (Adam, the gradient norm, activations, LSTM rows) that repeat the portable Swift loops'
 * operations in the same order, so that they give the same bits.
 *
 * The product follows the usual Goto/BLIS scheme: op(B) is packed, KC rows by NR = 64 columns
 * at a time, into panels that stay in L1 while a 6 x 64 (or 5 x 64) block of C is computed from
 * broadcast rows of op(A) (read in place: plain or transposed, A needs no copy). 24 of the 32
 * vector registers hold the block's sums. Edges are zero-padded in the panel and masked on store. */

#include "CKernels.h"

#include <stdlib.h>

#if defined(__x86_64__)
#include <immintrin.h>

#pragma clang fp contract(off)  /* no fused multiply-adds where the portable code has none */

bool ck_avx512_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}

#define AVX512 __attribute__((target("avx512f")))

enum { MR = 6, NR = 64, KC = 256, NC = 512, MC = 192 };

/* One packing buffer per thread (KC x NC floats, 512 KB), allocated at its first product and kept:
 * the threads that make products live as long as the process. */
static _Thread_local float *packed;
static _Thread_local size_t packedCount;

static float *packingBuffer(size_t count) {
    if (count > packedCount) {
        free(packed);
        packed = aligned_alloc(64, count * sizeof(float));
        packedCount = packed ? count : 0;
    }
    return packed;
}

static inline long min_long(long a, long b) { return a < b ? a : b; }

/* Lanes [0, n) of a 16-lane vector (n may be <= 0 or >= 16). */
static inline __mmask16 AVX512 lanes(long n) {
    return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1);
}

/* Transposes a 16 x 16 tile: row t of the result is column t of the input. */
static inline void AVX512 transpose16(__m512 r[16]) {
    __m512 t[16], u[16];
    for (int i = 0; i < 16; i += 2) {  /* pairs of rows interleaved */
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {  /* four rows' columns together in each 128-bit lane */
        u[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
        u[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
        u[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        u[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    /* u[4g + c] holds, lane by lane, columns c, c+4, c+8, c+12 of rows 4g...4g+3. */
    for (int c = 0; c < 4; c++) {
        __m512 v0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x88);
        __m512 v1 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xDD);
        __m512 v2 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x88);
        __m512 v3 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xDD);
        r[c] = _mm512_shuffle_f32x4(v0, v2, 0x88);
        r[c + 8] = _mm512_shuffle_f32x4(v0, v2, 0xDD);
        r[c + 4] = _mm512_shuffle_f32x4(v1, v3, 0x88);
        r[c + 12] = _mm512_shuffle_f32x4(v1, v3, 0xDD);
    }
}

/* op(B)[k0 + kk][j0 + jj] for kk < kc, jj < nc, into ceil(nc / NR) panels of kc x NR, zero-padded. */
static void AVX512 packB(bool transB, const float *b, long ldb, long k0, long j0, long kc, long nc,
                         float *out) {
    for (long p = 0; p * NR < nc; p++) {
        long width = min_long(NR, nc - p * NR);
        float *panel = out + p * kc * NR;
        if (!transB) {
            const float *source = b + k0 * ldb + j0 + p * NR;
            for (long kk = 0; kk < kc; kk++, source += ldb) {
                for (int v = 0; v < NR / 16; v++) {
                    __m512 x = _mm512_maskz_loadu_ps(lanes(width - 16 * v), source + 16 * v);
                    _mm512_store_ps(panel + kk * NR + 16 * v, x);
                }
            }
        } else {
            /* op(B)[k][j] = b[j * ldb + k]: 16 x 16 tiles of B, transposed in registers. */
            for (long jj = 0; jj < NR; jj += 16) {
                const float *source = b + (j0 + p * NR + jj) * ldb + k0;
                for (long kk = 0; kk < kc; kk += 16) {
                    __m512 tile[16];
                    __mmask16 mask = lanes(kc - kk);
                    for (int t = 0; t < 16; t++)
                        tile[t] = jj + t < width ? _mm512_maskz_loadu_ps(mask, source + t * ldb + kk)
                                                 : _mm512_setzero_ps();
                    transpose16(tile);
                    long count = min_long(16, kc - kk);
                    for (long t = 0; t < count; t++) _mm512_store_ps(panel + (kk + t) * NR + jj, tile[t]);
                }
            }
        }
    }
}

/* C[0..<mr][0..<nr] (=|+=) alpha * sum_k a(r, k) * panel[k][.], a(r, k) = a[r * rowStep + k * kStep],
 * using the first nv of the panel's four vectors (nr <= 16 nv: narrow edges skip the padding).
 * `first`: the first K block, which applies beta; later blocks add. Inlined with a constant nv. */
static inline __attribute__((always_inline)) void AVX512 kernel(
    int rows, int nv, long kc, const float *a, long rowStep, long kStep, const float *panel, float *c, long ldc,
    long mr, long nr, float alpha, float beta, bool first) {
    __m512 sum[MR][NR / 16];
    for (int r = 0; r < rows; r++)
        for (int v = 0; v < nv; v++) sum[r][v] = _mm512_setzero_ps();
    long offset[MR];
    for (int r = 0; r < rows; r++) offset[r] = (r < mr ? r : 0) * rowStep;  /* missing rows repeat row 0 */
    for (long kk = 0; kk < kc; kk++) {
        const float *row = panel + kk * NR;
        __m512 bv[NR / 16];
        for (int v = 0; v < nv; v++) bv[v] = _mm512_load_ps(row + 16 * v);
        const float *column = a + kk * kStep;
        for (int r = 0; r < rows; r++) {
            __m512 x = _mm512_set1_ps(column[offset[r]]);
            for (int v = 0; v < nv; v++) sum[r][v] = _mm512_fmadd_ps(x, bv[v], sum[r][v]);
        }
    }
    __m512 alphas = _mm512_set1_ps(alpha), betas = _mm512_set1_ps(beta);
    for (int r = 0; r < rows; r++) {
        if (r >= mr) break;
        float *out = c + r * ldc;
        for (int v = 0; v < nv; v++) {
            __mmask16 mask = lanes(nr - 16 * v);
            __m512 value = alpha == 1 ? sum[r][v] : _mm512_mul_ps(alphas, sum[r][v]);
            if (!first) {
                value = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, out + 16 * v), value);
            } else if (beta != 0) {
                __m512 old = _mm512_maskz_loadu_ps(mask, out + 16 * v);
                value = _mm512_add_ps(beta == 1 ? old : _mm512_mul_ps(betas, old), value);
            }
            _mm512_mask_storeu_ps(out + 16 * v, mask, value);
        }
    }
}

/* Rows per register block for m rows: 5 where 6 would pad m by 5 % or more and 5 fit better
 * (m = 50: 54 rows computed with 6, 50 with 5). */
static inline int blockRows(long m) {
    long padded6 = (m + 5) / 6 * 6, padded5 = (m + 4) / 5 * 5;
    return padded5 < padded6 && (padded6 - m) * 20 >= m ? 5 : MR;
}

/* C[.., 0..<nc] for one K block of kc (a points at its first column of op(A)) whose op(B) is
 * packed in `panels`. */
static void AVX512 multiplyBlock(int rows, long m, long kc, long nc, bool first, const float *a, long rowStep,
                                 long kStep, const float *panels, float *c, long ldc, float alpha, float beta) {
    long mcMax = MC / rows * rows;
    for (long i0 = 0; i0 < m; i0 += mcMax) {
        long mc = min_long(mcMax, m - i0);
        for (long jr = 0; jr < nc; jr += NR) {
            const float *panel = panels + (jr / NR) * kc * NR;
            for (long ir = 0; ir < mc; ir += rows) {
                long i = i0 + ir;
                const float *aBlock = a + i * rowStep;
                float *cBlock = c + i * ldc + jr;
                long mr = min_long(rows, mc - ir), nr = min_long(NR, nc - jr);
#define KERNEL(R, V) kernel(R, V, kc, aBlock, rowStep, kStep, panel, cBlock, ldc, mr, nr, alpha, beta, first)
                switch ((rows == 5 ? 10 : 0) + (nr + 15) / 16) {
                case 4: KERNEL(6, 4); break;
                case 3: KERNEL(6, 3); break;
                case 2: KERNEL(6, 2); break;
                case 1: KERNEL(6, 1); break;
                case 14: KERNEL(5, 4); break;
                case 13: KERNEL(5, 3); break;
                case 12: KERNEL(5, 2); break;
                default: KERNEL(5, 1); break;
                }
#undef KERNEL
            }
        }
    }
}

/* An empty product: C = beta * C when k is 0. True when there is nothing more to do. */
static bool emptyProduct(long m, long n, long k, float beta, float *c, long ldc) {
    if (m <= 0 || n <= 0) return true;
    if (k > 0) return false;
    for (long i = 0; i < m; i++)
        for (long j = 0; j < n; j++) c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j];
    return true;
}

void AVX512 ck_sgemm(bool transA, bool transB, long m, long n, long k, float alpha,
                     const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc) {
    if (emptyProduct(m, n, k, beta, c, ldc)) return;
    long rowStep = transA ? 1 : lda, kStep = transA ? lda : 1;
    int rows = blockRows(m);
    float *panels = packingBuffer((size_t)KC * NC);
    if (!panels) abort();
    for (long k0 = 0; k0 < k; k0 += KC) {
        long kc = min_long(KC, k - k0);
        for (long j0 = 0; j0 < n; j0 += NC) {
            long nc = min_long(NC, n - j0);
            packB(transB, b, ldb, k0, j0, kc, nc, panels);
            multiplyBlock(rows, m, kc, nc, k0 == 0, a + k0 * kStep, rowStep, kStep, panels, c + j0, ldc,
                          alpha, beta);
        }
    }
}

/* The packed layout: K blocks in order, in each the column blocks in order, each as packB writes
 * it. Every column block but the last is NC (a multiple of NR) wide, so block (k0, j0) starts at
 * k0 * roundUp(n, NR) + kc * j0. */
static inline long paddedColumns(long n) { return (n + NR - 1) / NR * NR; }

size_t ck_packed_size(long k, long n) { return (size_t)(k > 0 ? k : 0) * (size_t)paddedColumns(n > 0 ? n : 0); }

void AVX512 ck_pack(bool transB, long k, long n, const float *b, long ldb, float *packed) {
    for (long k0 = 0; k0 < k; k0 += KC) {
        long kc = min_long(KC, k - k0);
        for (long j0 = 0; j0 < n; j0 += NC)
            packB(transB, b, ldb, k0, j0, kc, min_long(NC, n - j0), packed + k0 * paddedColumns(n) + kc * j0);
    }
}

void AVX512 ck_sgemm_packed(bool transA, long m, long n, long k, float alpha, const float *a, long lda,
                            const float *packed, float beta, float *c, long ldc) {
    if (emptyProduct(m, n, k, beta, c, ldc)) return;
    long rowStep = transA ? 1 : lda, kStep = transA ? lda : 1;
    int rows = blockRows(m);
    for (long k0 = 0; k0 < k; k0 += KC) {
        long kc = min_long(KC, k - k0);
        for (long j0 = 0; j0 < n; j0 += NC)
            multiplyBlock(rows, m, kc, min_long(NC, n - j0), k0 == 0, a + k0 * kStep, rowStep, kStep,
                          packed + k0 * paddedColumns(n) + kc * j0, c + j0, ldc, alpha, beta);
    }
}

/* y = alpha * op(A) x + beta * y for a row-major m x n A (op(A) = A^T when trans), unit strides.
 * Plain: 16-lane dot products of 8 or 16 rows at a time. Transposed: 64
 * columns at a time, adding x[i] times row i. With beta == 0, y is not read. */
void AVX512 ck_sgemv(bool trans, long m, long n, float alpha, const float *a, long lda, const float *x,
                     float beta, float *y) {
    if (!trans && n > 256) {
        /* Long rows: eight streams at a time (sixteen defeat the prefetchers on matrices that come
         * from L3), each row's sums added up on its own. */
        for (long i0 = 0; i0 < m; i0 += 8) {
            long rows = min_long(8, m - i0);
            __m512 sum[8];
            for (int r = 0; r < 8; r++) sum[r] = _mm512_setzero_ps();
            const float *row[8];
            for (int r = 0; r < 8; r++) row[r] = a + (i0 + (r < rows ? r : 0)) * lda;
            for (long j = 0; j < n; j += 16) {
                __mmask16 mask = lanes(n - j);
                __m512 xv = _mm512_maskz_loadu_ps(mask, x + j);
                for (int r = 0; r < 8; r++)
                    sum[r] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, row[r] + j), xv, sum[r]);
            }
            for (int r = 0; r < rows; r++) {
                float value = alpha * _mm512_reduce_add_ps(sum[r]);
                y[i0 + r] = beta == 0 ? value : value + beta * y[i0 + r];
            }
        }
    } else if (!trans) {
        /* Short rows: sixteen at a time, summed by one transpose (adding each row's 16 lanes on
         * its own would cost more than its products). */
        for (long i0 = 0; i0 < m; i0 += 16) {
            long rows = min_long(16, m - i0);
            __m512 sum[16];
            const float *row[16];
            for (int r = 0; r < 16; r++) {
                sum[r] = _mm512_setzero_ps();
                row[r] = a + (i0 + (r < rows ? r : 0)) * lda;  /* missing rows repeat the first */
            }
            for (long j = 0; j < n; j += 16) {
                __mmask16 mask = lanes(n - j);
                __m512 xv = _mm512_maskz_loadu_ps(mask, x + j);
                for (int r = 0; r < 16; r++)
                    sum[r] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, row[r] + j), xv, sum[r]);
            }
            /* Lane r of the total is row r's dot product: transpose the sums and add the rows. */
            transpose16(sum);
            __m512 total = sum[0];
            for (int r = 1; r < 16; r++) total = _mm512_add_ps(total, sum[r]);
            __mmask16 mask = lanes(rows);
            total = _mm512_mul_ps(_mm512_set1_ps(alpha), total);
            if (beta != 0)
                total = _mm512_add_ps(total, _mm512_mul_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(mask, y + i0)));
            _mm512_mask_storeu_ps(y + i0, mask, total);
        }
    } else {
        for (long j0 = 0; j0 < n; j0 += 64) {
            __m512 sum[4];
            for (int v = 0; v < 4; v++) sum[v] = _mm512_setzero_ps();
            __mmask16 mask[4];
            for (int v = 0; v < 4; v++) mask[v] = lanes(n - j0 - 16 * v);
            for (long i = 0; i < m; i++) {
                __m512 xi = _mm512_set1_ps(x[i]);
                const float *row = a + i * lda + j0;
                for (int v = 0; v < 4; v++)
                    sum[v] = _mm512_fmadd_ps(xi, _mm512_maskz_loadu_ps(mask[v], row + 16 * v), sum[v]);
            }
            for (int v = 0; v < 4; v++) {
                if (!mask[v]) break;
                __m512 value = _mm512_mul_ps(_mm512_set1_ps(alpha), sum[v]);
                if (beta != 0)
                    value = _mm512_add_ps(value, _mm512_mul_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(mask[v], y + j0 + 16 * v)));
                _mm512_mask_storeu_ps(y + j0 + 16 * v, mask[v], value);
            }
        }
    }
}

void AVX512 ck_adam(long n, float *param, const float *grad, float *expAvg, float *expAvgSq,
                    float weight, float beta2, float oneMinusBeta2, float stepSize, float correction2Root,
                    float eps) {
    __m512 w = _mm512_set1_ps(weight), b2 = _mm512_set1_ps(beta2), ob2 = _mm512_set1_ps(oneMinusBeta2);
    __m512 step = _mm512_set1_ps(stepSize), root = _mm512_set1_ps(correction2Root), e = _mm512_set1_ps(eps);
    for (long i = 0; i < n; i += 16) {
        __mmask16 mask = lanes(n - i);
        __m512 g = _mm512_maskz_loadu_ps(mask, grad + i);
        __m512 m = _mm512_maskz_loadu_ps(mask, expAvg + i);
        __m512 v = _mm512_maskz_loadu_ps(mask, expAvgSq + i);
        __m512 p = _mm512_maskz_loadu_ps(mask, param + i);
        m = _mm512_add_ps(m, _mm512_mul_ps(w, _mm512_sub_ps(g, m)));
        v = _mm512_add_ps(_mm512_mul_ps(v, b2), _mm512_mul_ps(_mm512_mul_ps(ob2, g), g));
        __m512 denominator = _mm512_add_ps(_mm512_div_ps(_mm512_sqrt_ps(_mm512_abs_ps(v)), root), e);
        p = _mm512_add_ps(p, _mm512_div_ps(_mm512_mul_ps(step, m), denominator));
        _mm512_mask_storeu_ps(expAvg + i, mask, m);
        _mm512_mask_storeu_ps(expAvgSq + i, mask, v);
        _mm512_mask_storeu_ps(param + i, mask, p);
    }
}

/* Eight partial sums, element i in sum i % 8, the tail in sum 0, added in order: the portable
 * loop's grouping, so both give the same bits. */
double AVX512 ck_sum_of_squares(long n, const float *x) {
    __m512d sum = _mm512_setzero_pd();
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m512d d = _mm512_cvtps_pd(_mm256_loadu_ps(x + i));
        sum = _mm512_add_pd(sum, _mm512_mul_pd(d, d));
    }
    double partial[8];
    _mm512_storeu_pd(partial, sum);
    for (; i < n; i++) partial[0] += (double)x[i] * (double)x[i];
    double total = 0;
    for (int k = 0; k < 8; k++) total += partial[k];
    return total;
}

/* FastMath.swift's exp, tanh and sigmoid, 16 lanes at a time: the same constants and the same
 * operations in the same order (no fused multiply-adds), so every lane gets the Swift code's bits. */
static inline __m512 AVX512 vexp(__m512 x) {
    __m512 clamped = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.0f)), _mm512_set1_ps(88.0f));
    __m512 shifted = _mm512_add_ps(_mm512_mul_ps(clamped, _mm512_set1_ps(1.44269504f)), _mm512_set1_ps(12582912.0f));
    __m512 n = _mm512_sub_ps(shifted, _mm512_set1_ps(12582912.0f));
    __m512i exponent = _mm512_sub_epi32(_mm512_castps_si512(shifted), _mm512_set1_epi32(0x4B400000));
    __m512 r = _mm512_sub_ps(clamped, _mm512_mul_ps(n, _mm512_set1_ps(0.693359375f)));
    r = _mm512_sub_ps(r, _mm512_mul_ps(n, _mm512_set1_ps(-2.12194440e-4f)));
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(p, _mm512_mul_ps(r, r)), r), _mm512_set1_ps(1.0f));
    __m512 scale = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(exponent, _mm512_set1_epi32(127)), 23));
    __m512 result = _mm512_mul_ps(p, scale);
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), result, x);  /* NaN stays NaN */
}

static inline __m512 AVX512 vtanh(__m512 x) {
    __m512 a = _mm512_abs_ps(x);
    __m512 z = _mm512_mul_ps(x, x);
    __m512 p = _mm512_set1_ps(-5.70498872745e-3f);
    p = _mm512_add_ps(_mm512_mul_ps(p, z), _mm512_set1_ps(2.06390887954e-2f));
    p = _mm512_sub_ps(_mm512_mul_ps(p, z), _mm512_set1_ps(5.37397155531e-2f));
    p = _mm512_add_ps(_mm512_mul_ps(p, z), _mm512_set1_ps(1.33314422036e-1f));
    p = _mm512_sub_ps(_mm512_mul_ps(p, z), _mm512_set1_ps(3.33332819422e-1f));
    __m512 small = _mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(p, z), x), x);
    __m512 e = vexp(_mm512_mul_ps(_mm512_set1_ps(2.0f), a));
    __m512 largeMagnitude = _mm512_sub_ps(_mm512_set1_ps(1.0f), _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, _mm512_set1_ps(1.0f))));
    __mmask16 negative = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    __m512 large = _mm512_mask_sub_ps(largeMagnitude, negative, _mm512_setzero_ps(), largeMagnitude);
    __mmask16 isSmall = _mm512_cmp_ps_mask(a, _mm512_set1_ps(0.625f), _CMP_LT_OQ);
    return _mm512_mask_blend_ps(isSmall, large, small);
}

static inline __m512 AVX512 vsigmoid(__m512 x) {
    return _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_add_ps(_mm512_set1_ps(1.0f), vexp(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}

void AVX512 ck_logistic(long n, float *x) {
    for (long i = 0; i < n; i += 16) {
        __mmask16 mask = lanes(n - i);
        _mm512_mask_storeu_ps(x + i, mask, vsigmoid(_mm512_maskz_loadu_ps(mask, x + i)));
    }
}

void AVX512 ck_tanh(long n, const float *x, float *y) {
    for (long i = 0; i < n; i += 16) {
        __mmask16 mask = lanes(n - i);
        _mm512_mask_storeu_ps(y + i, mask, vtanh(_mm512_maskz_loadu_ps(mask, x + i)));
    }
}

void AVX512 ck_exp(long n, const float *x, float *y) {
    for (long i = 0; i < n; i += 16) {
        __mmask16 mask = lanes(n - i);
        _mm512_mask_storeu_ps(y + i, mask, vexp(_mm512_maskz_loadu_ps(mask, x + i)));
    }
}

/* x[j] = tanh or sigmoid of x[j] + bias[j] for j < n, two vectors at a time: each is a long chain
 * of dependent operations, and two independent chains keep the core's units busy. Inlined with a
 * constant `tanh`. */
static inline __attribute__((always_inline)) void AVX512 activateWithBias(long n, float *x, const float *bias,
                                                                         bool tanh) {
    long j = 0;
    for (; j + 32 <= n; j += 32) {
        __m512 a = _mm512_add_ps(_mm512_loadu_ps(x + j), _mm512_loadu_ps(bias + j));
        __m512 b = _mm512_add_ps(_mm512_loadu_ps(x + j + 16), _mm512_loadu_ps(bias + j + 16));
        _mm512_storeu_ps(x + j, tanh ? vtanh(a) : vsigmoid(a));
        _mm512_storeu_ps(x + j + 16, tanh ? vtanh(b) : vsigmoid(b));
    }
    for (; j < n; j += 16) {
        __mmask16 mask = lanes(n - j);
        __m512 a = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, x + j), _mm512_maskz_loadu_ps(mask, bias + j));
        _mm512_mask_storeu_ps(x + j, mask, tanh ? vtanh(a) : vsigmoid(a));
    }
}

/* LSTMCell.forward for one batch row, the same passes: z (i, f, g, o blocks of h) gets the bias
 * added and is activated in place; then the new cell state, its tanh and the output. */
void AVX512 ck_lstm_forward_row(long h, float *z, const float *bias, const float *previousCell,
                                float *nextCell, float *tanhCell, float *next) {
    activateWithBias(2 * h, z, bias, false);           /* i, f */
    activateWithBias(h, z + 2 * h, bias + 2 * h, true);  /* g */
    activateWithBias(h, z + 3 * h, bias + 3 * h, false); /* o */
    for (long j = 0; j < h; j += 16) {
        __mmask16 mask = lanes(h - j);
        #define LOAD(p) _mm512_maskz_loadu_ps(mask, (p) + j)
        __m512 c = _mm512_add_ps(_mm512_mul_ps(LOAD(z + h), LOAD(previousCell)), _mm512_mul_ps(LOAD(z), LOAD(z + 2 * h)));
        __m512 t = vtanh(c);
        _mm512_mask_storeu_ps(nextCell + j, mask, c);
        _mm512_mask_storeu_ps(tanhCell + j, mask, t);
        _mm512_mask_storeu_ps(next + j, mask, _mm512_mul_ps(LOAD(z + 3 * h), t));
        #undef LOAD
    }
}

/* LSTMCell.backward for one batch row, the three Swift loops fused: the same products in the
 * same order. Gates and their gradients are i, f, g, o blocks of h; dc is updated in place. */
void AVX512 ck_lstm_backward_row(long h, const float *dhOut, const float *dhCarried, float *dc,
                                 const float *gates, const float *previousCell, const float *tanhCell,
                                 float *gateGradients) {
    const __m512 one = _mm512_set1_ps(1.0f);
    for (long j = 0; j < h; j += 16) {
        __mmask16 mask = lanes(h - j);
        #define LOAD(p) _mm512_maskz_loadu_ps(mask, (p) + j)
        __m512 i = LOAD(gates), f = LOAD(gates + h), g = LOAD(gates + 2 * h), o = LOAD(gates + 3 * h);
        __m512 dh = _mm512_add_ps(LOAD(dhOut), LOAD(dhCarried)), t = LOAD(tanhCell), c = LOAD(dc);
        c = _mm512_add_ps(c, _mm512_mul_ps(_mm512_mul_ps(dh, o), _mm512_sub_ps(one, _mm512_mul_ps(t, t))));
        __m512 dOut = _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(dh, t), o), _mm512_sub_ps(one, o));
        __m512 dI = _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(c, g), i), _mm512_sub_ps(one, i));
        __m512 dG = _mm512_mul_ps(_mm512_mul_ps(c, i), _mm512_sub_ps(one, _mm512_mul_ps(g, g)));
        __m512 dF = _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(c, LOAD(previousCell)), f), _mm512_sub_ps(one, f));
        #undef LOAD
        _mm512_mask_storeu_ps(dc + j, mask, _mm512_mul_ps(c, f));
        _mm512_mask_storeu_ps(gateGradients + j, mask, dI);
        _mm512_mask_storeu_ps(gateGradients + h + j, mask, dF);
        _mm512_mask_storeu_ps(gateGradients + 2 * h + j, mask, dG);
        _mm512_mask_storeu_ps(gateGradients + 3 * h + j, mask, dOut);
    }
}

#else  /* not x86-64: never available, the callers use their portable code */

bool ck_avx512_available(void) { return false; }
void ck_sgemm(bool transA, bool transB, long m, long n, long k, float alpha, const float *a, long lda,
              const float *b, long ldb, float beta, float *c, long ldc) { abort(); }
size_t ck_packed_size(long k, long n) { return 0; }
void ck_pack(bool transB, long k, long n, const float *b, long ldb, float *packed) { abort(); }
void ck_sgemm_packed(bool transA, long m, long n, long k, float alpha, const float *a, long lda,
                     const float *packed, float beta, float *c, long ldc) { abort(); }
void ck_sgemv(bool trans, long m, long n, float alpha, const float *a, long lda, const float *x, float beta,
              float *y) { abort(); }
void ck_adam(long n, float *param, const float *grad, float *expAvg, float *expAvgSq, float weight,
             float beta2, float oneMinusBeta2, float stepSize, float correction2Root, float eps) { abort(); }
double ck_sum_of_squares(long n, const float *x) { abort(); }
void ck_logistic(long n, float *x) { abort(); }
void ck_tanh(long n, const float *x, float *y) { abort(); }
void ck_exp(long n, const float *x, float *y) { abort(); }
void ck_lstm_forward_row(long h, float *z, const float *bias, const float *previousCell, float *nextCell,
                         float *tanhCell, float *next) { abort(); }
void ck_lstm_backward_row(long h, const float *dhOut, const float *dhCarried, float *dc, const float *gates,
                          const float *previousCell, const float *tanhCell, float *gateGradients) { abort(); }

#endif
