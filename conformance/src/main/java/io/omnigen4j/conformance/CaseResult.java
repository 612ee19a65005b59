package io.omnigen4j.conformance;

import java.util.List;

/**
 * The verdict of one case: it passes when no stage failed (NOT-CHECKED rows do not count).
 *
 * @param name     the case folder's name
 * @param model    the model folder the case names, or null when case.json could not be read
 * @param stages   every compared stage, in pipeline order
 * @param millis   wall time spent on the case (export of its model excluded)
 */
public record CaseResult(String name, String model, List<StageResult> stages, long millis) {

    public CaseResult {
        stages = List.copyOf(stages);
    }

    public boolean passed() {
        return stages.stream().noneMatch(StageResult::failed);
    }

    /** The failed stages, in order. */
    public List<StageResult> failures() {
        return stages.stream().filter(StageResult::failed).toList();
    }
}
