/**
 * The demo model: a small OmniGen with random weights, generated and exported once into the user's cache folder,
 * for trying the pipeline without downloading a checkpoint ({@link io.omnigen4j.export.demo.DemoModel}).
 */
package io.omnigen4j.export.demo;
