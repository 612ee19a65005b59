package io.omnigen4j.export.config;

/**
 * The first inconsistency found in a config: which field and what is wrong. Lets the same checks serve the file
 * readers (which turn it into a {@link ConfigException} naming the file) and the record constructors (which turn
 * it into an {@link IllegalArgumentException} for programmatic misuse).
 */
record Problem(String field, String detail) {

    ConfigException toException(String source) {
        return new ConfigException(source, field, detail);
    }

    IllegalArgumentException toIllegalArgument(String what) {
        return new IllegalArgumentException(what + ": field '" + field + "' " + detail);
    }
}
