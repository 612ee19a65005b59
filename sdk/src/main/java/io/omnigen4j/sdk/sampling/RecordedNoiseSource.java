package io.omnigen4j.sdk.sampling;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Replays given noise tensors (for example {@code latents.z0} and {@code vae_encode.<n>.eps} recorded from the PyTorch
 * reference), for example the VAE noise of a reference run, which comes from PyTorch's unseeded global generator and so
 * cannot be derived from a seed. Requests are checked against what was
 * recorded: a shape whose element count (or, when shapes were given, whose dimensions) differ is an
 * {@link IllegalArgumentException}; asking for more encode calls than recorded is a {@link NoiseExhaustedException}.
 * The arrays are copied on construction and on every call; instances are immutable and thread-safe.
 */
public final class RecordedNoiseSource implements NoiseSource {
    private final float[] initialLatents;
    private final int[] initialShape;
    private final List<float[]> posteriorNoise;
    private final List<int[]> posteriorShapes;

    /**
     * Recorded tensors without shapes: requests are checked by element count only.
     * @param initialLatents the recorded initial latents (copied)
     * @param posteriorNoise the recorded ε per VAE encode call, in call order (copied; may be empty)
     */
    public RecordedNoiseSource(float[] initialLatents, List<float[]> posteriorNoise) {
        this(initialLatents, null, posteriorNoise, null);
    }

    /**
     * Recorded tensors with their shapes ({@code null} shapes disable the dimension check for that part): requests
     * must ask for exactly these shapes.
     * @param initialLatents the recorded initial latents (copied)
     * @param initialShape their shape, or null
     * @param posteriorNoise the recorded ε per VAE encode call, in call order (copied; may be empty)
     * @param posteriorShapes one shape per ε tensor, or null
     * @throws IllegalArgumentException if a tensor is null or a shape does not match its tensor's length
     */
    public RecordedNoiseSource(float[] initialLatents, int[] initialShape, List<float[]> posteriorNoise,
                               List<int[]> posteriorShapes) {
        if (initialLatents == null) {
            throw new IllegalArgumentException("initial latents must not be null");
        }
        if (posteriorNoise == null) {
            throw new IllegalArgumentException("posterior noise list must not be null (use an empty list)");
        }
        this.initialLatents = initialLatents.clone();
        this.initialShape = initialShape == null ? null : checkShape("initial latents", initialShape,
                initialLatents.length);
        List<float[]> eps = new ArrayList<>(posteriorNoise.size());
        for (int n = 0; n < posteriorNoise.size(); n++) {
            float[] e = posteriorNoise.get(n);
            if (e == null) {
                throw new IllegalArgumentException("posterior noise #" + n + " is null");
            }
            eps.add(e.clone());
        }
        this.posteriorNoise = List.copyOf(eps);
        if (posteriorShapes != null) {
            if (posteriorShapes.size() != posteriorNoise.size()) {
                throw new IllegalArgumentException(posteriorShapes.size() + " posterior shapes for "
                        + posteriorNoise.size() + " posterior noise tensors");
            }
            List<int[]> shapes = new ArrayList<>(posteriorShapes.size());
            for (int n = 0; n < posteriorShapes.size(); n++) {
                shapes.add(checkShape("posterior noise #" + n, posteriorShapes.get(n), eps.get(n).length));
            }
            this.posteriorShapes = List.copyOf(shapes);
        } else {
            this.posteriorShapes = null;
        }
    }

    /** {@return the number of recorded VAE encode calls} */
    public int recordedEncodeCount() {
        return posteriorNoise.size();
    }

    @Override
    public float[] initialLatents(int[] shape) {
        check("initial latents", shape, initialShape, initialLatents.length);
        return initialLatents.clone();
    }

    @Override
    public float[] posteriorNoise(int encodeIndex, int[] shape) {
        if (encodeIndex < 0) {
            throw new IllegalArgumentException("encodeIndex must be >= 0, got " + encodeIndex);
        }
        if (encodeIndex >= posteriorNoise.size()) {
            throw new NoiseExhaustedException(encodeIndex, posteriorNoise.size());
        }
        float[] eps = posteriorNoise.get(encodeIndex);
        check("posterior noise #" + encodeIndex, shape,
                posteriorShapes == null ? null : posteriorShapes.get(encodeIndex), eps.length);
        return eps.clone();
    }

    private static void check(String what, int[] requested, int[] recordedShape, int recordedCount) {
        int count = NoiseSource.elementCount(requested);
        if (recordedShape != null && !Arrays.equals(recordedShape, requested)) {
            throw new IllegalArgumentException(what + ": requested shape " + Arrays.toString(requested)
                    + " but recorded " + Arrays.toString(recordedShape));
        }
        if (count != recordedCount) {
            throw new IllegalArgumentException(what + ": requested shape " + Arrays.toString(requested) + " ("
                    + count + " elements) but " + recordedCount + " elements were recorded");
        }
    }

    private static int[] checkShape(String what, int[] shape, int count) {
        if (NoiseSource.elementCount(shape) != count) {
            throw new IllegalArgumentException(what + ": shape " + Arrays.toString(shape) + " does not match "
                    + count + " recorded elements");
        }
        return shape.clone();
    }
}
