/**
 * <b>Public API:</b> an exported model folder ({@link io.omnigen4j.sdk.model.ModelFolder}: checks and opens it),
 * its manifest ({@link io.omnigen4j.sdk.model.ModelManifest}), the limits it puts on requests, known before loading
 * ({@link io.omnigen4j.sdk.model.ModelLimits}), and the error that names what is wrong with a folder.
 * Non-public classes here read the manifest and the graphs' headers.
 */
package io.omnigen4j.sdk.model;
