/**
 * <b>Internal</b> (public only for the exporter's own packages, the CLI and tests; may change without notice): parsing
 * and checking the checkpoint's config.json files (Phi-3 transformer, VAE).
 */
package io.omnigen4j.export.config;
