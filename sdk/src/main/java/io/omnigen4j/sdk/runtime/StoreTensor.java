package io.omnigen4j.sdk.runtime;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;

/**
 * A tensor a {@link TensorStore} allocated: its memory lives as long as the store and is read and written only
 * through the store (the memory may be on a device).
 */
public interface StoreTensor {

    /** {@return the tensor to pass to ONNX Runtime as a graph input or a pinned output} */
    OnnxTensor tensor();

    /** {@return the element type (FLOAT or INT64)} */
    OnnxJavaType type();

    /** {@return the shape} */
    long[] shape();

    /** {@return the number of elements} */
    long elements();

    /** {@return the size in bytes} */
    default long bytes() {
        return elements() * type().size;
    }
}
