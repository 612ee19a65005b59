/**
 * <b>Internal</b> (public only for the exporter's own packages, the CLI and tests; may change without notice):
 * random-weight checkpoints with the real layout, for tests and the demo model.
 */
package io.omnigen4j.export.generate;
