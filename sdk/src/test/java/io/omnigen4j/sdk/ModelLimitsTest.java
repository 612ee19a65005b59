package io.omnigen4j.sdk;

import io.omnigen4j.sdk.model.ModelFolder;
import io.omnigen4j.sdk.model.ModelLimits;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ModelLimits} on the tiny fixture (192-patch position table, 4096 positions): the limits callers check before
 * loading are the ones generation enforces.
 */
class ModelLimitsTest {

    @Test
    void limitsOfTheTinyModel() throws Exception {
        ModelLimits limits = ModelLimits.of(ModelFolder.open(TinyModel.folder()).manifest());
        assertEquals(16, limits.patchPixels());
        assertEquals(192, limits.positionTableSide());
        assertEquals(3072, limits.maxSidePixels());
        assertEquals(4096, limits.sequencePositions());
        // 63·63 = 3969 tokens leave 126 positions for the prompt; 64·64 = 4096 leave none.
        assertEquals(1008, limits.largestSquare());
        assertEquals(4096 - 1 - 3969, limits.promptBudget(1008, 1008));
        assertNull(limits.outputSizeProblem(1008, 1008));
        assertTrue(limits.outputSizeProblem(1024, 1024).contains("largest square output is 1008×1008"));
        // A long thin output fits the sequence but not the table.
        assertNull(limits.outputSizeProblem(3072, 16));
        assertTrue(limits.outputSizeProblem(3088, 16).contains("position table (3072 px per side)"));
        InvalidRequestException e = assertThrows(InvalidRequestException.class,
                () -> limits.checkOutputSize(1024, 1024, " (hint)"));
        assertTrue(e.getMessage().endsWith("; choose a smaller size (hint)"), e.getMessage());
    }

    @Test
    void generationRejectsWhatTheLimitsReject() throws Exception {
        ModelLimits limits = ModelLimits.of(ModelFolder.open(TinyModel.folder()).manifest());
        int over = limits.largestSquare() + 16;
        try (OmniGen model = OmniGen.load(TinyModel.folder())) {
            InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> model.generate(
                    GenerationRequest.builder().prompt("a cat").size(over, over).steps(1).seed(1L).build()));
            assertEquals(limits.outputSizeProblem(over, over) + "; choose a smaller size", e.getMessage());
        }
    }
}
