package io.omnigen4j.sdk.model;

/**
 * How much of a model folder's content {@link ModelFolder#open(java.nio.file.Path, IntegrityCheck)} hashes at load.
 * Every level checks that each file the manifest lists is present with its recorded size; a size change is always
 * found. What the hashes add is finding a file whose bytes changed in place (a flipped bit, a partial copy).
 */
public enum IntegrityCheck {
    /** Sizes only: no file is read beyond the graphs' structure. */
    SIZES,
    /**
     * The default: files up to 4 MiB (the graphs, the tokenizer) are hashed
     * whole against the manifest's {@code sha256}; larger files (the weights) by {@code sample_sha256}, SHA-256 over
     * 16 windows of 64 KiB spread evenly over the file (1 MiB
     * read per file, whatever its size). A change inside a window is found; one between windows is not — use
     * {@link #FULL} or {@link ModelFolder#verifyChecksums()} for that. Manifests written before {@code sample_sha256}
     * was recorded get the size check for their large files.
     */
    SAMPLED,
    /** Every file hashed whole against the manifest's {@code sha256}: reads the whole folder (17 GB for OmniGen-v1). */
    FULL
}
