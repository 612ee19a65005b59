package io.omnigen4j.export.generate;

import io.omnigen4j.export.safetensors.SafetensorsWriter;

/**
 * OmniGen's {@code pos_embed} buffer (spec §5.2): a {@code grid × grid} table of 2-D sin-cos position vectors,
 * row-major over (row, column), each {@code [sin(c'ω) | cos(c'ω) | sin(r'ω) | cos(r'ω)]} with quarter width
 * {@code hidden/4}, ω_k = 10000^(−k/(hidden/4)), and coordinates {@code c' = f32(c / (grid/64))} from the
 * <em>column</em> and {@code r'} from the row (base size 64, interpolation 1). Coordinates are float32 like the
 * reference's {@code np.float32} grid; products and sin/cos are double, rounded to float32 once at the end.
 *
 * <p>Computed element by element so the 36864 × hidden table streams into a {@link SafetensorsWriter} without
 * being held in memory.
 */
public final class SinCosPositionTable implements SafetensorsWriter.FloatSource {

    /** Grid size the reference's {@code base_size} refers to. */
    public static final int BASE_SIZE = 64;

    private final int hidden;
    private final int grid;
    private final double[] omega;
    private final float[] coord;

    public SinCosPositionTable(int hidden, int grid) {
        if (hidden <= 0 || hidden % 4 != 0) {
            throw new IllegalArgumentException("hidden must be a positive multiple of 4, got " + hidden);
        }
        this.hidden = hidden;
        this.grid = grid;
        int q = hidden / 4;
        omega = new double[q];
        for (int k = 0; k < q; k++) {
            omega[k] = 1.0 / Math.pow(10000.0, (double) k / q);
        }
        coord = new float[grid];
        float step = (float) grid / BASE_SIZE;
        for (int i = 0; i < grid; i++) {
            coord[i] = (float) i / step;
        }
    }

    /** Element {@code index} of the flattened [1, grid², hidden] table. */
    public float value(long index) {
        int token = (int) (index / hidden);
        int d = (int) (index % hidden);
        int q = hidden / 4;
        int quarter = d / q;
        double pos = quarter < 2 ? coord[token % grid] : coord[token / grid];
        double a = pos * omega[d % q];
        return (float) ((quarter & 1) == 0 ? Math.sin(a) : Math.cos(a));
    }

    @Override
    public void fill(long first, float[] dst, int count) {
        for (int i = 0; i < count; i++) {
            dst[i] = value(first + i);
        }
    }
}
