package io.omnigen4j.export.config;

import java.io.IOException;

/**
 * A model configuration file is missing, malformed, or asks for something the exported graphs cannot reproduce.
 * The message names the file and, where one is at fault, the field (dotted for nested fields, e.g.
 * {@code rope_scaling.type}), so the user can fix the checkpoint rather than get a silently different model.
 */
public class ConfigException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final String field;

    /** An error about one field of {@code source}. */
    public ConfigException(String source, String field, String detail) {
        super(source + ": field '" + field + "' " + detail);
        this.source = source;
        this.field = field;
    }

    /** An error about the file as a whole (missing, not JSON, not an object). */
    public ConfigException(String source, String detail, Throwable cause) {
        super(source + ": " + detail, cause);
        this.source = source;
        this.field = null;
    }

    /** The file (or other source description) the configuration came from. */
    public String source() {
        return source;
    }

    /** The offending field, or null when the whole file is at fault. */
    public String field() {
        return field;
    }
}
