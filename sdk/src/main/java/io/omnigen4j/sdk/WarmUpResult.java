package io.omnigen4j.sdk;

import java.time.Duration;
import java.util.List;

/**
 * What {@link OmniGen#warmUp(WarmUp)} did: the stage times of each warm-up generation, in order. The first round is
 * normally the slowest (ONNX Runtime plans each graph's memory), the second still slower than later calls (it
 * allocates the planned blocks).
 *
 * @param rounds the stage times of each round
 */
public record WarmUpResult(List<GenerationResult.Timings> rounds) {

    /**
     * Copies the list.
     * @param rounds the stage times of each round (copied)
     */
    public WarmUpResult {
        rounds = List.copyOf(rounds);
    }

    /**
     * Wall time of all rounds together.
     * @return the sum of the rounds' total times
     */
    public Duration total() {
        return rounds.stream().map(GenerationResult.Timings::total).reduce(Duration.ZERO, Duration::plus);
    }
}
