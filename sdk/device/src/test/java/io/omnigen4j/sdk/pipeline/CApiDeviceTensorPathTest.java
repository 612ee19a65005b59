package io.omnigen4j.sdk.pipeline;

/**
 * {@link DeviceTensorPathTest} with {@code omnigen4j-sdk-device} on the class path: the device path's tensors are
 * created through ONNX Runtime's C API (CreateAllocator on a "Cpu" memory info, CreateTensorAsOrtValue) and wrapped
 * as Java tensors; every public conformance case must stay bit-identical to the copying path, with the same copies
 * per step.
 */
class CApiDeviceTensorPathTest extends DeviceTensorPathTest {

    @Override
    String expectedDeviceStore() {
        return "device tensors (ONNX Runtime C API, Cpu memory)";
    }
}
