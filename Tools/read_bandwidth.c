/* read_bandwidth.c - how fast the cores can read a buffer of a given size: the bound on batch-1
 * generation, which reads every weight once per character.
 *
 *   clang -O2 -pthread -o /tmp/read_bandwidth Tools/read_bandwidth.c
 *   /tmp/read_bandwidth 13 2      # 13 MB (model c's weights), 2 threads: GB/s, three trials
 *
 * Needs an x86-64 CPU with AVX-512 (64-byte loads, as in our kernels). */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { PASSES = 400 };

static float *buffer;
static long count;
static int threads;
static volatile float sink[2];

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Reads the thread's share of the buffer PASSES times, four independent sums. */
__attribute__((target("avx512f"))) static void *reader(void *argument) {
    long id = (long)argument, share = count / threads;
    const float *p = buffer + id * share;
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (int pass = 0; pass < PASSES; pass++) {
        for (long i = 0; i + 64 <= share; i += 64) {
            s0 = _mm512_add_ps(s0, _mm512_load_ps(p + i));
            s1 = _mm512_add_ps(s1, _mm512_load_ps(p + i + 16));
            s2 = _mm512_add_ps(s2, _mm512_load_ps(p + i + 32));
            s3 = _mm512_add_ps(s3, _mm512_load_ps(p + i + 48));
        }
    }
    sink[id] = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
    return NULL;
}

int main(int argc, char **argv) {
    long megabytes = argc == 3 ? atol(argv[1]) : 0;
    threads = argc == 3 ? atoi(argv[2]) : 0;
    if (megabytes < 1 || threads < 1 || threads > 2) {
        fprintf(stderr, "usage: read_bandwidth MEGABYTES THREADS (1 or 2)\n");
        return 2;
    }
    count = megabytes * 1024 * 1024 / sizeof(float);
    buffer = aligned_alloc(64, count * sizeof(float));
    if (!buffer) {
        fprintf(stderr, "read_bandwidth: cannot allocate %ld MB\n", megabytes);
        return 1;
    }
    for (long i = 0; i < count; i++) buffer[i] = 1;
    for (int trial = 0; trial < 3; trial++) {
        pthread_t thread[2];
        double start = now();
        for (long i = 0; i < threads; i++) pthread_create(&thread[i], NULL, reader, (void *)i);
        for (int i = 0; i < threads; i++) pthread_join(thread[i], NULL);
        double seconds = now() - start;
        printf("%ld MB, %d threads: %.0f GB/s\n", megabytes, threads,
               (double)PASSES * count * sizeof(float) / seconds / 1e9);
    }
    return 0;
}
