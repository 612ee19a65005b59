package io.omnigen4j.export.safetensors;

import java.util.Locale;

/** Element types of a safetensors file that OmniGen4J reads and writes. */
public enum DType {
    F32(4),
    F16(2),
    BF16(2),
    I64(8),
    I32(4),
    U8(1);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    public int byteSize() {
        return byteSize;
    }

    public boolean isFloating() {
        return this == F32 || this == F16 || this == BF16;
    }

    /** Parses the header spelling ("F32", "BF16", …); unknown spellings are a {@link SafetensorsException}. */
    public static DType parse(String s, String tensorName, Object source) throws SafetensorsException {
        try {
            return valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new SafetensorsException(source + ": tensor '" + tensorName + "' has dtype '" + s
                    + "', which is not supported (supported: F32, F16, BF16, I64, I32, U8)");
        }
    }
}
