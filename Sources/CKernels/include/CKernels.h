#ifndef CKERNELS_H
#define CKERNELS_H
/* Hand-written float kernels for CPUs with AVX-512, compiled for that instruction set only
 * inside this target (function attributes), so the package still builds for baseline x86-64 and
 * runs anywhere: callers ask ck_avx512_available() once and use BLAS otherwise. */

#include <stdbool.h>
#include <stddef.h>

/* True when the CPU (and the operating system) supports AVX-512F. False on other architectures. */
bool ck_avx512_available(void);

/* C = alpha * op(A) * op(B) + beta * C for row-major float matrices, like cblas_sgemm with
 * CblasRowMajor; op(A) is m x k, op(B) k x n. With beta == 0, C is not read. Requires
 * ck_avx512_available(); single-threaded. */
void ck_sgemm(bool transA, bool transB, long m, long n, long k, float alpha,
              const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc);

/* The same product with op(B) (k x n) packed beforehand by ck_pack into ck_packed_size(k, n)
 * floats (64-byte aligned), for a right-hand operand used many times: the recurrent weights of
 * every time step. Gives the same bits as ck_sgemm. */
size_t ck_packed_size(long k, long n);
void ck_pack(bool transB, long k, long n, const float *b, long ldb, float *packed);
void ck_sgemm_packed(bool transA, long m, long n, long k, float alpha, const float *a, long lda,
                     const float *packed, float beta, float *c, long ldc);

/* y = alpha * op(A) x + beta * y for a row-major m x n A, like cblas_sgemv with CblasRowMajor and
 * unit increments. With beta == 0, y is not read. Requires ck_avx512_available(). */
void ck_sgemv(bool trans, long m, long n, float alpha, const float *a, long lda, const float *x,
              float beta, float *y);

/* PyTorch's Adam step over n elements, with the same operations in the same order as the
 * portable loop in Optimizer.swift, so both give the same bits. */
void ck_adam(long n, float *param, const float *grad, float *expAvg, float *expAvgSq,
             float weight, float beta2, float oneMinusBeta2, float stepSize, float correction2Root,
             float eps);

/* Sum of squares of n floats, accumulated in double precision. */
double ck_sum_of_squares(long n, const float *x);

/* x[i] = 1 / (1 + exp(-x[i])) in place, y[i] = tanh(x[i]) and y[i] = exp(x[i]) (x may be y):
 * FastMath.swift's functions with the same bits. */
void ck_logistic(long n, float *x);
void ck_tanh(long n, const float *x, float *y);
void ck_exp(long n, const float *x, float *y);

/* LSTMCell.forward for one batch row (its passes fused, the same bits): z holds the i, f, g, o
 * pre-activations without bias, gets the activated gates; then c', tanh(c') and h'. nextCell may
 * be previousCell (generation updates the state in place). */
void ck_lstm_forward_row(long h, float *z, const float *bias, const float *previousCell,
                         float *nextCell, float *tanhCell, float *next);

/* LSTMCell.backward for one batch row (its three loops fused, the same bits): gates and
 * gateGradients are i, f, g, o blocks of h; dc holds the carried cell gradient and is updated. */
void ck_lstm_backward_row(long h, const float *dhOut, const float *dhCarried, float *dc,
                          const float *gates, const float *previousCell, const float *tanhCell,
                          float *gateGradients);

#endif
