/**
 * <b>Internal</b> (public only for the exporter's own packages, the CLI and tests; may change without notice): the
 * hidden staging folders a model folder is written in before it is renamed into place, and the removal of the ones a
 * killed process left behind.
 */
package io.omnigen4j.export.staging;
