package io.omnigen4j.export.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A safetensors file opened for lazy, memory-mapped reads.
 *
 * <p>Only the header is read on {@link #open}; each tensor's bytes are mapped when asked for, so a 15 GB
 * checkpoint costs no heap. Files over 2 GB are fine (each tensor is mapped on its own; a single tensor must
 * stay under 2 GB, which every OmniGen tensor does). The header is validated completely on open: size limit,
 * JSON syntax, dtype names, offsets inside the data section, dtype × shape = byte length, and the tensors' byte
 * ranges tile the data section exactly (no overlaps, no gaps, no trailing bytes: the format's "no holes" rule).
 *
 * <p>Thread-safe for reads after open. Close releases the file channel; buffers already handed out stay valid
 * until garbage-collected (the JDK offers no safe unmap).
 */
public final class SafetensorsFile implements TensorStore {

    /** Header size limit, as in the reference implementation (100 MB). */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    /** Duplicate tensor names and trailing garbage after the JSON object are errors, not silently accepted. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, FileChannel channel, long dataStart,
                            Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Opens and validates the header of {@code path}. */
    public static SafetensorsFile open(Path path) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(path + ": file not found");
        }
        try {
            long size = ch.size();
            if (size < 8) {
                throw new SafetensorsException(path + ": truncated file (" + size
                        + " bytes); a safetensors file starts with an 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen < 2 || headerLen > MAX_HEADER_BYTES) {
                throw new SafetensorsException(path + ": header length " + headerLen
                        + " is outside 2.." + MAX_HEADER_BYTES + " bytes; the file is not safetensors or is corrupt");
            }
            if (8 + headerLen > size) {
                throw new SafetensorsException(path + ": truncated file: header says " + headerLen
                        + " header bytes but the file has only " + (size - 8) + " after the length field");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(ch, hb, 8);
            String headerText = new String(hb.array(), StandardCharsets.UTF_8);
            long dataStart = 8 + headerLen;
            long dataLen = size - dataStart;
            Map<String, String> meta = new LinkedHashMap<>();
            Map<String, TensorInfo> tensors = parseHeader(path, headerText, dataLen, meta);
            return new SafetensorsFile(path, ch, dataStart, tensors, Collections.unmodifiableMap(meta));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static Map<String, TensorInfo> parseHeader(Path path, String text, long dataLen,
                                                       Map<String, String> meta) throws SafetensorsException {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new SafetensorsException(path + ": header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsException(path + ": header must be a JSON object of tensor entries");
        }
        Map<String, TensorInfo> out = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = root.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals("__metadata__")) {
                if (!v.isObject()) {
                    throw new SafetensorsException(path + ": __metadata__ must be an object of strings");
                }
                Iterator<Map.Entry<String, JsonNode>> mi = v.fields();
                while (mi.hasNext()) {
                    Map.Entry<String, JsonNode> m = mi.next();
                    if (!m.getValue().isTextual()) {
                        throw new SafetensorsException(path + ": __metadata__ value of '" + m.getKey()
                                + "' must be a string, got " + m.getValue());
                    }
                    meta.put(m.getKey(), m.getValue().asText());
                }
                continue;
            }
            if (!v.isObject() || !v.has("dtype") || !v.has("shape") || !v.has("data_offsets")) {
                throw new SafetensorsException(path + ": tensor '" + name
                        + "' needs the fields dtype, shape and data_offsets");
            }
            DType dtype = DType.parse(v.get("dtype").asText(), name, path);
            JsonNode shapeNode = v.get("shape");
            JsonNode offs = v.get("data_offsets");
            if (!shapeNode.isArray() || !offs.isArray() || offs.size() != 2) {
                throw new SafetensorsException(path + ": tensor '" + name
                        + "': shape must be an array and data_offsets an array [begin, end]");
            }
            long[] shape = new long[shapeNode.size()];
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                JsonNode d = shapeNode.get(i);
                if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
                    throw new SafetensorsException(path + ": tensor '" + name + "' has an invalid dimension " + d);
                }
                shape[i] = d.asLong();
                try {
                    count = Math.multiplyExact(count, shape[i]);
                } catch (ArithmeticException ex) {
                    throw new SafetensorsException(path + ": tensor '" + name + "' shape overflows");
                }
            }
            for (JsonNode o : offs) {
                if (!o.isIntegralNumber() || !o.canConvertToLong()) {
                    throw new SafetensorsException(path + ": tensor '" + name
                            + "' data_offsets must be two integers, got " + offs);
                }
            }
            long begin = offs.get(0).asLong();
            long end = offs.get(1).asLong();
            if (begin < 0 || end < begin || end > dataLen) {
                throw new SafetensorsException(path + ": tensor '" + name + "' data_offsets [" + begin + ", " + end
                        + "] are out of bounds of the data section (" + dataLen + " bytes); the file is truncated or corrupt");
            }
            long expected;
            try {
                expected = Math.multiplyExact(count, (long) dtype.byteSize());
            } catch (ArithmeticException ex) {
                throw new SafetensorsException(path + ": tensor '" + name + "' shape overflows");
            }
            if (end - begin != expected) {
                throw new SafetensorsException(path + ": tensor '" + name + "' is " + dtype + " with shape "
                        + java.util.Arrays.toString(shape) + " = " + expected + " bytes, but data_offsets span "
                        + (end - begin) + " bytes (dtype/shape mismatch)");
            }
            out.put(name, new TensorInfo(name, dtype, shape, begin, end));
        }
        // Empty tensors occupy no bytes and cannot overlap; compare each non-empty range with the furthest-reaching
        // earlier one (comparing neighbours only would miss an overlap hidden behind an empty tensor).
        List<TensorInfo> sorted = new ArrayList<>();
        for (TensorInfo t : out.values()) {
            if (t.byteLength() > 0) {
                sorted.add(t);
            }
        }
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        TensorInfo reach = null;
        for (TensorInfo b : sorted) {
            if (reach != null && b.begin() < reach.end()) {
                throw new SafetensorsException(path + ": tensors '" + reach.name() + "' and '" + b.name()
                        + "' overlap in the data section (bytes [" + reach.begin() + ", " + reach.end() + ") and ["
                        + b.begin() + ", " + b.end() + ")); the file is corrupt or was not written by a safetensors"
                        + " writer");
            }
            // The format leaves no holes: bytes that belong to no tensor could hide other content (a polyglot
            // file) and are a sign of a damaged or spliced file.
            long expectedBegin = reach == null ? 0 : reach.end();
            if (b.begin() > expectedBegin) {
                throw new SafetensorsException(path + ": bytes [" + expectedBegin + ", " + b.begin()
                        + ") of the data section belong to no tensor ("
                        + (reach == null ? "before the first tensor '" : "between '" + reach.name() + "' and '")
                        + b.name() + "'); safetensors data must be contiguous, so the file is corrupt");
            }
            if (reach == null || b.end() > reach.end()) {
                reach = b;
            }
        }
        long used = reach == null ? 0 : reach.end();
        if (used != dataLen) {
            throw new SafetensorsException(path + ": " + (dataLen - used) + " trailing byte(s) after the data of the"
                    + " last tensor" + (reach == null ? "" : " '" + reach.name() + "'") + " (its data ends at byte "
                    + used + " of a " + dataLen + "-byte data section); the file was appended to or is not"
                    + " one safetensors file");
        }
        return Collections.unmodifiableMap(out);
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos + buf.position());
            if (n < 0) {
                throw new SafetensorsException("unexpected end of file");
            }
        }
        buf.flip();
    }

    @Override
    public Path path() {
        return path;
    }

    /** Tensor names in header order. */
    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    @Override
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    /** All header entries, in header order. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    @Override
    public TensorInfo info(String name) throws SafetensorsException {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new SafetensorsException(path + ": no tensor named '" + name + "'");
        }
        return t;
    }

    /** The tensor's raw little-endian bytes, memory-mapped read-only. */
    @Override
    public ByteBuffer data(String name) throws IOException {
        TensorInfo t = info(name);
        if (t.byteLength() > Integer.MAX_VALUE) {
            throw new SafetensorsException(path + ": tensor '" + name + "' is " + t.byteLength()
                    + " bytes; tensors over 2 GB must be read with slice()");
        }
        return slice(name, 0, t.byteLength());
    }

    /** A byte range [offset, offset+length) of one tensor's data, memory-mapped read-only, little-endian. */
    @Override
    public ByteBuffer slice(String name, long offset, long length) throws IOException {
        TensorInfo t = info(name);
        if (offset < 0 || length < 0 || offset + length > t.byteLength() || length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("slice [" + offset + ", +" + length + ") outside tensor " + t);
        }
        if (length == 0) {
            return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin() + offset, length)
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The tensor as float32 values (F16 and BF16 are widened exactly). Needs the tensor to fit in one array. */
    public float[] floats(String name) throws IOException {
        TensorInfo t = info(name);
        int n = Math.toIntExact(t.elementCount());
        ByteBuffer b = data(name);
        float[] out = new float[n];
        switch (t.dtype()) {
            case F32 -> b.asFloatBuffer().get(out);
            case F16, BF16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = floatAt(t.dtype(), b, i);
                }
            }
            default -> throw new SafetensorsException(path + ": tensor '" + name + "' is " + t.dtype()
                    + ", not a floating-point type");
        }
        return out;
    }

    /** The tensor as int64 values (I64, I32 and U8 are widened). */
    public long[] longs(String name) throws IOException {
        TensorInfo t = info(name);
        int n = Math.toIntExact(t.elementCount());
        ByteBuffer b = data(name);
        long[] out = new long[n];
        switch (t.dtype()) {
            case I64 -> b.asLongBuffer().get(out);
            case I32 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.getInt(4 * i);
                }
            }
            case U8 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.get(i) & 0xFF;
                }
            }
            default -> throw new SafetensorsException(path + ": tensor '" + name + "' is " + t.dtype()
                    + ", not an integer type");
        }
        return out;
    }

    /** The tensor's bytes copied to the heap (for U8 tensors such as images). */
    public byte[] bytes(String name) throws IOException {
        ByteBuffer b = data(name);
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    /** Element {@code index} of a little-endian F32/F16/BF16 buffer, widened exactly to float32. */
    public static float floatAt(DType dtype, ByteBuffer b, int index) {
        return switch (dtype) {
            case F32 -> b.getFloat(4 * index);
            case F16 -> halfToFloat(b.getShort(2 * index));
            case BF16 -> Float.intBitsToFloat((b.getShort(2 * index) & 0xFFFF) << 16);
            default -> throw new IllegalArgumentException(dtype + " is not a floating-point type");
        };
    }

    /** IEEE binary16 → float32, exact (Float.float16ToFloat needs Java 20). */
    public static float halfToFloat(short h) {
        int bits = h & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1F;
        int mant = bits & 0x3FF;
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
