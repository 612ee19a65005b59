package io.omnigen4j.sdk.sampling;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.omnigen4j.export.safetensors.SafetensorsFile;
import io.omnigen4j.export.testing.Fixtures;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** One public conformance case opened for the sampling tests (case.json + tensors.safetensors). */
final class SamplingCase implements AutoCloseable {
    final String name;
    final JsonNode json;
    final SafetensorsFile tensors;

    private SamplingCase(String name, JsonNode json, SafetensorsFile tensors) {
        this.name = name;
        this.json = json;
        this.tensors = tensors;
    }

    static SamplingCase open(String name) {
        Path dir = Fixtures.caseDir(name);
        try {
            JsonNode json = new ObjectMapper().readTree(dir.resolve("case.json").toFile());
            return new SamplingCase(name, json, SafetensorsFile.open(dir.resolve("tensors.safetensors")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int steps() {
        return json.get("pipeline_args").get("num_inference_steps").asInt();
    }

    int branches() {
        return json.get("n_branch").asInt();
    }

    /** Guidance scale as PyTorch uses it: the Python double cast to float32. */
    float guidanceScale() {
        return (float) json.get("pipeline_args").get("guidance_scale").asDouble();
    }

    float imgGuidanceScale() {
        return (float) json.get("pipeline_args").get("img_guidance_scale").asDouble();
    }

    boolean has(String tensor) {
        return tensors.contains(tensor);
    }

    float[] f(String tensor) {
        try {
            return tensors.floats(tensor);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    byte[] u8(String tensor) {
        try {
            return tensors.bytes(tensor);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int[] shape(String tensor) {
        try {
            return tensors.info(tensor).intShape();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int encodeCalls() {
        int n = 0;
        while (has("vae_encode." + n + ".eps")) {
            n++;
        }
        return n;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("length " + a.length + " != " + b.length);
        }
        double m = 0;
        for (int k = 0; k < a.length; k++) {
            double d = Math.abs((double) a[k] - b[k]);
            if (Double.isNaN(d)) {
                return Double.NaN;
            }
            m = Math.max(m, d);
        }
        return m;
    }

    static int mismatches(float[] a, float[] b) {
        int n = 0;
        for (int k = 0; k < a.length; k++) {
            if (Float.floatToRawIntBits(a[k]) != Float.floatToRawIntBits(b[k])) {
                n++;
            }
        }
        return n;
    }

    @Override
    public void close() {
        try {
            tensors.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
