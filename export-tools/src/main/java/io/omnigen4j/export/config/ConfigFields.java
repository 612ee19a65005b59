package io.omnigen4j.export.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Typed, checked access to the fields of one JSON object of a config file. Every accessor names the field and the
 * file in its error, and distinguishes "missing" from "wrong type" so a broken checkpoint is easy to diagnose.
 * Absent and explicit {@code null} are both "missing" for required fields (HF writes nulls for unset values).
 */
final class ConfigFields {

    static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final JsonNode node;
    private final String source;
    private final String prefix;

    ConfigFields(JsonNode node, String source, String prefix) {
        this.node = node;
        this.source = source;
        this.prefix = prefix;
    }

    /** Reads a JSON object from {@code file}; a missing file or bad JSON is a {@link ConfigException}. */
    static ConfigFields readFile(Path file, String what) throws ConfigException {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new ConfigException(file.toString(), "missing; " + what + " cannot be read without it", e);
        } catch (IOException e) {
            throw new ConfigException(file.toString(), "is not valid JSON: " + e.getMessage(), e);
        }
        return of(root, file.toString());
    }

    static ConfigFields of(JsonNode root, String source) throws ConfigException {
        if (root == null || !root.isObject()) {
            throw new ConfigException(source, "must hold a JSON object", (Throwable) null);
        }
        return new ConfigFields(root, source, "");
    }

    String source() {
        return source;
    }

    ConfigException error(String field, String detail) {
        return new ConfigException(source, prefix + field, detail);
    }

    boolean has(String field) {
        return node.has(field);
    }

    boolean isNull(String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull();
    }

    Iterable<String> fieldNames() {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private JsonNode required(String field) throws ConfigException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw error(field, "is required but missing");
        }
        return v;
    }

    int requireInt(String field) throws ConfigException {
        return asInt(field, required(field));
    }

    int optionalInt(String field, int dflt) throws ConfigException {
        return isNull(field) ? dflt : asInt(field, node.get(field));
    }

    private int asInt(String field, JsonNode v) throws ConfigException {
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw error(field, "must be an integer, got " + v);
        }
        return v.intValue();
    }

    double requireNumber(String field) throws ConfigException {
        return asNumber(field, required(field));
    }

    /** Null when absent or null. */
    Double optionalNumber(String field) throws ConfigException {
        return isNull(field) ? null : asNumber(field, node.get(field));
    }

    private double asNumber(String field, JsonNode v) throws ConfigException {
        if (!v.isNumber()) {
            throw error(field, "must be a number, got " + v);
        }
        double d = v.doubleValue();
        if (!Double.isFinite(d)) {
            throw error(field, "must be finite, got " + v);
        }
        return d;
    }

    String requireString(String field) throws ConfigException {
        JsonNode v = required(field);
        if (!v.isTextual()) {
            throw error(field, "must be a string, got " + v);
        }
        return v.textValue();
    }

    String optionalString(String field, String dflt) throws ConfigException {
        return isNull(field) ? dflt : requireString(field);
    }

    boolean optionalBoolean(String field, boolean dflt) throws ConfigException {
        if (isNull(field)) {
            return dflt;
        }
        JsonNode v = node.get(field);
        if (!v.isBoolean()) {
            throw error(field, "must be true or false, got " + v);
        }
        return v.booleanValue();
    }

    List<Integer> requireIntList(String field) throws ConfigException {
        return requireList(field, this::asInt);
    }

    List<Double> requireNumberList(String field) throws ConfigException {
        return requireList(field, this::asNumber);
    }

    List<String> requireStringList(String field) throws ConfigException {
        return requireList(field, (name, e) -> {
            if (!e.isTextual()) {
                throw error(name, "must be a string, got " + e);
            }
            return e.textValue();
        });
    }

    @FunctionalInterface
    private interface ElementReader<T> {
        T read(String name, JsonNode element) throws ConfigException;
    }

    /** A required list; each element is read (and reported) as {@code field[i]}. */
    private <T> List<T> requireList(String field, ElementReader<T> reader) throws ConfigException {
        JsonNode v = requiredArray(field);
        List<T> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            out.add(reader.read(field + "[" + i + "]", v.get(i)));
        }
        return List.copyOf(out);
    }

    private JsonNode requiredArray(String field) throws ConfigException {
        JsonNode v = required(field);
        if (!v.isArray()) {
            throw error(field, "must be a list, got " + v);
        }
        return v;
    }

    /** The nested object {@code field}, or null when absent/null; a non-object is an error. */
    ConfigFields optionalObject(String field) throws ConfigException {
        if (isNull(field)) {
            return null;
        }
        JsonNode v = node.get(field);
        if (!v.isObject()) {
            throw error(field, "must be an object or null, got " + v);
        }
        return new ConfigFields(v, source, prefix + field + ".");
    }
}
