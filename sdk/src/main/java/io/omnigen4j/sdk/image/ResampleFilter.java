package io.omnigen4j.sdk.image;

/**
 * The two Pillow resampling filters OmniGen's {@code crop_arr} uses (spec §3): {@code BOX} for the exact halving loop,
 * {@code BICUBIC} (a = −0.5) for the final fit. Weights are evaluated in double precision with Pillow's operation order,
 * because the coefficients are later rounded to 22-bit fixed point and any reordering can flip a pixel.
 */
public enum ResampleFilter {
    /** Box filter: 1 on (−0.5, 0.5], support 0.5. */
    BOX(0.5) {
        @Override
        double weight(double x) {
            return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
        }
    },
    /** Keys cubic with a = −0.5, support 2. */
    BICUBIC(2.0) {
        @Override
        double weight(double x) {
            final double a = -0.5;
            double t = x < 0.0 ? -x : x;
            if (t < 1.0) {
                return ((a + 2.0) * t - (a + 3.0)) * t * t + 1;
            }
            if (t < 2.0) {
                return (((t - 5) * t + 8) * t - 4) * a;
            }
            return 0.0;
        }
    };

    private final double support;

    ResampleFilter(double support) {
        this.support = support;
    }

    /** {@return the half-width of the filter at scale 1, in source pixels} */
    public double support() {
        return support;
    }

    /** Filter value at offset {@code x} (in output-scaled source pixels). */
    abstract double weight(double x);
}
