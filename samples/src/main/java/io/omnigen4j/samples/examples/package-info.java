/**
 * One small program per OmniGen task type, each using only the public API of {@code omnigen4j-sdk} and
 * {@code omnigen4j-imaging}: {@link io.omnigen4j.samples.examples.TextToImage},
 * {@link io.omnigen4j.samples.examples.ImageEditing}, {@link io.omnigen4j.samples.examples.SubjectDriven},
 * {@link io.omnigen4j.samples.examples.MultiImage} and {@link io.omnigen4j.samples.examples.VisualCondition}.
 * Each takes an exported model folder as its first argument; the settings are the reference pipeline's
 * recommendations for the task (1024×1024, 50 steps).
 */
package io.omnigen4j.samples.examples;
