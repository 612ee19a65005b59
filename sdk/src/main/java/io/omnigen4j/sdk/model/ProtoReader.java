package io.omnigen4j.sdk.model;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A forward reader of the protobuf wire format over a file, for {@link OnnxGraphScan}. Written by hand because the
 * SDK has no protobuf runtime and needs only a handful of fields: it reads tags, varints and short strings, and
 * skips every other field (an inline {@code raw_data} of any size) by moving its position, so a graph is never
 * held in memory. Every length is checked against the end of its enclosing message and of the file.
 */
final class ProtoReader implements Closeable {

    /** Wire types of the protobuf encoding. */
    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LEN = 2;
    static final int FIXED32 = 5;

    /** Longest string field read into memory (names, dims, external-data entries); longer ones are refused. */
    static final int MAX_STRING_BYTES = 1 << 20;

    /** Malformed protobuf input: the message says where (byte offset) and what. */
    static final class FormatException extends IOException {
        private static final long serialVersionUID = 1L;

        FormatException(String message) {
            super(message);
        }
    }

    private final FileChannel channel;
    private final long size;
    private final ByteBuffer buf = ByteBuffer.allocate(1 << 16);
    /** File offset of {@code buf}'s first byte. */
    private long bufStart;

    ProtoReader(Path file) throws IOException {
        this.channel = FileChannel.open(file, StandardOpenOption.READ);
        this.size = channel.size();
        buf.limit(0);
    }

    long size() {
        return size;
    }

    long position() {
        return bufStart + buf.position();
    }

    /** Moves to {@code pos} (forward only in practice: used to skip fields). */
    void seek(long pos) throws FormatException {
        if (pos < 0 || pos > size) {
            throw new FormatException("a field at byte " + position() + " runs past the end of the file (" + size
                    + " bytes)");
        }
        if (pos >= bufStart && pos <= bufStart + buf.limit()) {
            buf.position((int) (pos - bufStart));
        } else {
            bufStart = pos;
            buf.clear().limit(0);
        }
    }

    private int readByte() throws IOException {
        if (!buf.hasRemaining()) {
            bufStart += buf.limit();
            buf.clear();
            int n = 0;
            while (n == 0) {
                n = channel.read(buf, bufStart);
                if (n < 0) {
                    buf.limit(0);
                    throw new FormatException("the file ends in the middle of a field (at byte " + bufStart + ")");
                }
            }
            buf.flip();
        }
        return buf.get() & 0xff;
    }

    /** A base-128 varint of at most 10 bytes. */
    long readVarint() throws IOException {
        long start = position();
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = readByte();
            v |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return v;
            }
        }
        throw new FormatException("malformed varint at byte " + start);
    }

    /** A field tag: field number in the high bits, wire type in the low three. */
    long readTag(long end) throws IOException {
        long tag = readVarint();
        if (position() > end) {
            throw new FormatException("a field tag at byte " + position() + " runs past its enclosing message");
        }
        if ((tag >>> 3) == 0) {
            throw new FormatException("field number 0 at byte " + position() + " (not a protobuf message)");
        }
        return tag;
    }

    /** Reads a length prefix and returns the end offset of the field, checked against {@code end}. */
    long readLengthEnd(long end) throws IOException {
        long at = position();
        long len = readVarint();
        long limit = Math.min(end, size);
        if (len < 0 || len > limit - position()) {
            throw new FormatException("a field of " + len + " bytes at byte " + at + " runs past its enclosing message"
                    + " or the end of the file");
        }
        return position() + len;
    }

    /** A UTF-8 string field (after its tag) within {@code end}. */
    String readString(long end) throws IOException {
        long fieldEnd = readLengthEnd(end);
        long len = fieldEnd - position();
        if (len > MAX_STRING_BYTES) {
            throw new FormatException("a string of " + len + " bytes at byte " + position() + " is longer than any"
                    + " name or entry of a graph this SDK loads (" + MAX_STRING_BYTES + " bytes at most)");
        }
        byte[] b = new byte[(int) len];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) readByte();
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new FormatException("a string at byte " + (fieldEnd - len) + " is not valid UTF-8");
        }
    }

    /** Skips the value of a field of wire type {@code wireType} without reading it into memory. */
    void skip(int wireType, long end) throws IOException {
        long at = position();
        long to = switch (wireType) {
            case VARINT -> {
                readVarint();
                yield position();
            }
            case FIXED64 -> at + 8;
            case FIXED32 -> at + 4;
            case LEN -> readLengthEnd(end);
            default -> throw new FormatException("unsupported protobuf wire type " + wireType + " at byte " + at);
        };
        if (to > end) {
            throw new FormatException("a field at byte " + at + " runs past its enclosing message");
        }
        seek(to);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
