/**
 * {@code omnigen bench} ({@link io.omnigen4j.samples.bench.BenchmarkCommand}): speed and memory of the pipeline
 * on the CPU, stage by stage, on a checkpoint that other implementations can be timed on too.
 *
 * <pre>
 * java -cp omnigen.jar io.omnigen4j.samples.bench.BenchmarkCommand --dir bench-run --json bench.json
 * </pre>
 *
 * <p>The first run generates the "bench" checkpoint ({@link io.omnigen4j.samples.bench.BenchSpec#BENCH}: Phi-3
 * hidden 512, 8 layers, 8 heads, intermediate 1536; SDXL VAE widths 128/256/512/512, 2 resnets per block; fixed
 * weight seed) into {@code bench-run/checkpoint} in OmniGen's folder layout, exports it to {@code bench-run/model}
 * and caches ONNX Runtime's optimised graphs in {@code bench-run/ort-cache}; later runs reuse all three. Then, per
 * intra-op thread count (one model load each), it times text-to-image and editing (one synthetic 256×256 input)
 * at 256×256 with 10 steps, KV cache on and off: one warm-up, then {@code --runs} timed calls. Reported per stage
 * (tokenize, preprocess, VAE encode, prefill, each step, decode, total): minimum and median; the share of the call
 * spent outside ONNX Runtime graph runs; heap allocated per call; peak heap (sum of the heap pools' peaks);
 * peak RSS (Linux {@code VmHWM}, reset before the timed runs); the ratio to the original PyTorch pipeline's
 * published times for this machine class; the KV cache speed-up.
 *
 * <p>{@code --spec real} ({@link io.omnigen4j.samples.bench.BenchSpec#REAL}, OmniGen-v1's shapes with random
 * weights) checks the full-size model instead: the disk the checkpoint and the {@code --precision} export need (the
 * run stops before writing when it is not free), then one model load and one text-to-image and one editing call at
 * {@code --size} (default 256) with {@code --steps} (default 2), reporting load time, per-call, per-step and VAE
 * decode times, RSS after load (VmRSS, RssAnon, RssFile) and the peak RSS of load and calls
 * ({@link io.omnigen4j.samples.bench.RealSizeRun}).
 */
package io.omnigen4j.samples.bench;
