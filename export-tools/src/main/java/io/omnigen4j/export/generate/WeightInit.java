package io.omnigen4j.export.generate;

import io.omnigen4j.export.safetensors.SafetensorsWriter;
import io.omnigen4j.export.safetensors.TensorSpec;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * The random initialisation of generated checkpoints, the same recipe as the conformance fixtures: linear and
 * conv weights N(0, (g/√fan_in)²) with g = 1.6 for {@code qkv_proj}, 0.6 for the VAE decoder's {@code conv_out},
 * 1 otherwise; token embedding N(0, 1); biases N(0, 0.05²); norm scales 1 + 0.1·N(0, 1); {@code pos_embed} the
 * deterministic sin-cos table. Gains keep activations O(1) through random layers so numeric tests stay meaningful.
 *
 * <p>Each tensor draws from its own generator seeded by (seed, tensor name), so the bytes depend on neither
 * tensor order nor chunk size, and one tensor can be regenerated alone.
 */
final class WeightInit {
    private WeightInit() {
    }

    static SafetensorsWriter.FloatSource source(TensorSpec t, long seed) {
        String name = t.name();
        long[] shape = t.shape();
        if (name.equals("pos_embed")) {
            return new SinCosPositionTable((int) shape[2], CheckpointLayout.POS_EMBED_GRID);
        }
        SplittableRandom rnd = new SplittableRandom(seedFor(seed, name));
        double mean;
        double std;
        if (name.endsWith(".bias")) {
            mean = 0;
            std = 0.05;
        } else if (shape.length == 1) { // every 1-D weight is a norm scale (RMSNorm, GroupNorm)
            mean = 1;
            std = 0.1;
        } else if (name.equals("llm.embed_tokens.weight")) {
            mean = 0;
            std = 1;
        } else {
            long fanIn = 1;
            for (int i = 1; i < shape.length; i++) {
                fanIn *= shape[i];
            }
            mean = 0;
            std = gain(name) / Math.sqrt(fanIn);
        }
        return (first, dst, count) -> {
            for (int i = 0; i < count; i++) {
                dst[i] = (float) (mean + std * rnd.nextGaussian());
            }
        };
    }

    private static double gain(String name) {
        if (name.endsWith("self_attn.qkv_proj.weight")) {
            return 1.6;
        }
        if (name.equals("decoder.conv_out.weight")) {
            return 0.6;
        }
        return 1.0;
    }

    /** seed ⊕ 64-bit FNV-1a of the name, then SplitMix-style mixing. */
    static long seedFor(long seed, String name) {
        long h = 0xcbf29ce484222325L;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xFF;
            h *= 0x100000001b3L;
        }
        long z = seed * 0x9E3779B97F4A7C15L + h;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
