package io.omnigen4j.sdk.sampling;

/**
 * Which of PyTorch's CPU kernels for {@code normal_} (and so {@code torch.randn}) on float32 tensors of 16 or more
 * contiguous elements is reproduced. Both kernels draw the same mt19937 uniforms and arrange them the same way; they
 * differ only in the maths of the Box–Muller step, so their values differ in the last bits. Tensors of fewer than 16
 * elements use a scalar double-precision path that is the same for both.
 */
public enum TorchCpuKernel {
    /**
     * The x86-64 kernel ({@code normal_fill_AVX2}): PyTorch dispatches it on every CPU with AVX2, including AVX-512
     * CPUs (the normal kernel is registered without an AVX-512 variant). Its {@code log} and {@code sincos} are the
     * float polynomials of {@code avx_mathfun.h}; this class evaluates them with the same float operations and the
     * same fused multiply-adds as the compiled kernel, so it is bit-exact (checked against PyTorch 1.13.1).
     */
    AVX2,

    /**
     * The portable kernel ({@code normal_fill}): x86-64 CPUs without AVX2, {@code ATEN_CPU_CAPABILITY=default}, and
     * other architectures (for example ARM64). It calls the C library's {@code logf}, {@code cosf} and {@code sinf};
     * this class uses correctly rounded versions of them, so values can differ from a given C library by a few ulps
     * (against glibc 2.36: about 1.5% of the values, at most 3 ulps). Not bit-exact.
     */
    DEFAULT
}
