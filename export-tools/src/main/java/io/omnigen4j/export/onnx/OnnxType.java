package io.omnigen4j.export.onnx;

/** ONNX tensor element types the exporter emits, with their TensorProto.DataType codes. */
public enum OnnxType {
    FLOAT(1, 4),
    UINT8(2, 1),
    INT32(6, 4),
    INT64(7, 8),
    BOOL(9, 1),
    FLOAT16(10, 2),
    BFLOAT16(16, 2);

    private final int code;
    private final int byteSize;

    OnnxType(int code, int byteSize) {
        this.code = code;
        this.byteSize = byteSize;
    }

    public int code() {
        return code;
    }

    public int byteSize() {
        return byteSize;
    }

    /** Manifest spelling: "float32", "float16", "bfloat16", "int64", … */
    public String manifestName() {
        return switch (this) {
            case FLOAT -> "float32";
            case UINT8 -> "uint8";
            case INT32 -> "int32";
            case INT64 -> "int64";
            case BOOL -> "bool";
            case FLOAT16 -> "float16";
            case BFLOAT16 -> "bfloat16";
        };
    }
}
