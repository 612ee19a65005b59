package io.omnigen4j.export.onnx;

/** A tensor dimension in a graph signature: a fixed size or a symbolic name ("batch", "cond_len"). */
public record Dim(long size, String symbol) {

    public static Dim of(long size) {
        return new Dim(size, null);
    }

    public static Dim of(String symbol) {
        return new Dim(-1, symbol);
    }

    /** Converts Integer/Long to fixed dims and String to symbolic dims. */
    public static Dim[] of(Object... dims) {
        Dim[] out = new Dim[dims.length];
        for (int i = 0; i < dims.length; i++) {
            Object d = dims[i];
            if (d instanceof Dim dim) {
                out[i] = dim;
            } else if (d instanceof Number n) {
                out[i] = of(n.longValue());
            } else if (d instanceof String s) {
                out[i] = of(s);
            } else {
                throw new IllegalArgumentException("dimension must be a number or a name: " + d);
            }
        }
        return out;
    }

    public boolean isSymbolic() {
        return symbol != null;
    }

    @Override
    public String toString() {
        return isSymbolic() ? symbol : Long.toString(size);
    }
}
