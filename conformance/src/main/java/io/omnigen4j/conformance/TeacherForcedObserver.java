package io.omnigen4j.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import io.omnigen4j.sdk.batch.Collation;
import io.omnigen4j.sdk.image.PreprocessedImage;
import io.omnigen4j.sdk.inspect.StageObserver;
import io.omnigen4j.sdk.prompt.ImageSpan;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Watches the teacher-forced run of a case: compares every stage the SDK reports with the recording, and feeds the
 * recorded {@code step.<i>.z_in} into each step so that every step is judged on its own (errors do not compound).
 * Callbacks never throw: a comparison that cannot be made becomes a FAIL row.
 */
final class TeacherForcedObserver implements StageObserver {

    /** One forward group of the SDK run: a branch (separate CFG) or all branches (batched). */
    private record Group(int index, int[] branchesPerRow, Collation collation, boolean longRope, int encodeOffset,
                         int encodeCount, String processorPrefix, String stepInfix, String ropeStage) {
    }

    private final StageTable table;
    private final CaseSpec spec;
    private final int latentChannels;
    private final int downscale;
    private final PrecisionTolerances bounds;
    private final List<Group> groups = new ArrayList<>();
    private final Set<Integer> branchOrder = new LinkedHashSet<>();
    private int encodes;
    private int outWidth = -1;
    private int outHeight = -1;
    private int[] latentShape;

    TeacherForcedObserver(StageTable table, CaseSpec spec, int latentChannels, int downscale,
                          PrecisionTolerances bounds) {
        this.table = table;
        this.spec = spec;
        this.latentChannels = latentChannels;
        this.downscale = downscale;
        this.bounds = bounds;
        if (!spec.useInputImageSizeAsOutput()) {
            outWidth = spec.width();
            outHeight = spec.height();
        }
    }

    /** Branch indices in the order the SDK ran them. */
    List<Integer> branchOrder() {
        return List.copyOf(branchOrder);
    }

    @Override
    public void imagePreprocessed(int index, PreprocessedImage image) {
        String name = "preprocess." + index + ".cropped_rgb";
        try {
            if (index == 0 && spec.useInputImageSizeAsOutput()) {
                outWidth = image.width();
                outHeight = image.height();
            }
            table.levels(name, image.image().toByteArray(), new int[] {image.height(), image.width(), 3}, 0, "");
        } catch (RuntimeException e) {
            table.fail(name, "comparison error: " + e);
        }
    }

    @Override
    public void collated(int group, int[] branches, Collation c, boolean longRope) {
        String stage = "processor";
        try {
            for (int b : branches) {
                branchOrder.add(b);
            }
            boolean perBranch = spec.separateCfg();
            String prefix = perBranch ? "processor.branch." + branches[0] : "processor";
            stage = prefix;
            String infix = perBranch ? "branch." + branches[0] + "." : "";
            String rope = perBranch ? "rope.branch." + branches[0] : "rope";
            int count = c.spans().stream().mapToInt(List::size).sum();
            Group g = new Group(group, branches.clone(), c, longRope, encodes, count, prefix, infix, rope);
            encodes += count;
            groups.add(g);
            if (latentShape == null && outWidth > 0) {
                latentShape = new int[] {spec.prompts().size(), latentChannels, outHeight / downscale,
                        outWidth / downscale};
            }

            int b = c.batch();
            int s = c.sequenceLength();
            table.longs(prefix + ".input_ids", c.inputIds(), new int[] {b, c.conditionLength()});
            table.longs(prefix + ".position_ids", c.positionIds(), new int[] {b, s});
            table.floats(prefix + ".attention_mask", c.attentionMask(), new int[] {b, s, s}, Tolerances.EXACT);
            // Inputs of the cached steps ≥ 1: the last N + 1 rows of the mask and positions (same at every step).
            for (int i = 1; i < spec.steps(); i++) {
                table.floats("step." + i + "." + infix + "attention_mask", c.stepMaskRows(),
                        new int[] {b, c.stepTokens(), s}, Tolerances.EXACT);
                table.longs("step." + i + "." + infix + "position_ids", c.stepPositionIds(),
                        new int[] {b, c.stepTokens()});
            }
            compareSpans(g);
            compareRope(g);
        } catch (RuntimeException e) {
            table.fail(stage, "comparison error: " + e);
        }
    }

    private void compareSpans(Group g) {
        JsonNode spans = spec.json().get("image_spans");
        String stage = g.processorPrefix() + ".image_spans";
        if (spans == null || spans.isNull() || !table.selected(stage)) {
            return;
        }
        JsonNode expected;
        if (spec.separateCfg()) {
            int branch = g.branchesPerRow()[0];
            if (!spans.isArray() || spans.get(branch) == null) {
                table.fail(stage, "case.json image_spans must be a list with one entry per branch (separate CFG);"
                        + " no entry for branch " + branch);
                return;
            }
            expected = spans.get(branch);
        } else {
            expected = spans;
        }
        Map<Integer, List<List<Integer>>> want = new TreeMap<>();
        if (!expected.isObject()) {
            table.fail(stage, "case.json image_spans entry must be an object {row: [[start, end], …]}, got "
                    + expected);
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = expected.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            List<List<Integer>> list = new ArrayList<>();
            try {
                int row = Integer.parseInt(e.getKey());
                for (JsonNode pair : e.getValue()) {
                    if (!pair.isArray() || pair.size() != 2 || !pair.get(0).isInt() || !pair.get(1).isInt()) {
                        throw new NumberFormatException(pair.toString());
                    }
                    list.add(List.of(pair.get(0).asInt(), pair.get(1).asInt()));
                }
                if (!list.isEmpty()) {
                    want.put(row, list);
                }
            } catch (NumberFormatException ex) {
                table.fail(stage, "case.json image_spans: cannot read row " + e.getKey() + ": " + e.getValue());
                return;
            }
        }
        Map<Integer, List<List<Integer>>> got = new TreeMap<>();
        List<List<ImageSpan>> rows = g.collation().spans();
        for (int r = 0; r < rows.size(); r++) {
            List<List<Integer>> list = new ArrayList<>();
            for (ImageSpan sp : rows.get(r)) {
                list.add(List.of(sp.start(), sp.end()));
            }
            if (!list.isEmpty()) {
                got.put(r, list);
            }
        }
        int n = got.values().stream().mapToInt(List::size).sum();
        if (want.equals(got)) {
            table.add(new StageResult(stage, 0.0, "exact", Status.PASS, n + " span" + (n == 1 ? "" : "s")));
        } else {
            table.add(new StageResult(stage, null, "exact", Status.FAIL, "SDK " + got + ", reference " + want));
        }
    }

    private void compareRope(Group g) {
        JsonNode rope = spec.json().get("rope");
        String stage = g.ropeStage();
        if (rope == null || rope.isNull() || !table.selected(stage)) {
            return;
        }
        JsonNode key;
        JsonNode factor;
        if (spec.separateCfg()) {
            int branch = g.branchesPerRow()[0];
            key = rope.path("key_length_per_branch").get(branch);
            factor = rope.path("factor_per_branch").get(branch);
        } else {
            key = rope.get("key_length");
            factor = rope.get("factor");
        }
        if (key == null || !key.isInt() || factor == null || !factor.isTextual()
                || !(factor.asText().equals("long") || factor.asText().equals("short"))) {
            table.fail(stage, "case.json rope has no readable key length / factor (\"long\" or \"short\") for this "
                    + (spec.separateCfg() ? "branch (key_length_per_branch, factor_per_branch)"
                    : "batch (key_length, factor)"));
            return;
        }
        int s = g.collation().sequenceLength();
        String mine = "key length " + s + ", " + (g.longRope() ? "long" : "short") + " factors";
        boolean ok = s == key.asInt() && g.longRope() == factor.asText().equals("long");
        table.add(new StageResult(stage, null, "exact", ok ? Status.PASS : Status.FAIL, ok ? mine
                : "SDK " + mine + "; reference key length " + key.asInt() + ", " + factor.asText() + " factors"));
    }

    @Override
    public void imageEncoded(int n, float[] pixels, long[] pixelShape, float[] moments, float[] eps, float[] latent,
                             long[] latentShape) {
        String p = "vae_encode." + n;
        try {
            int[] ps = toInt(pixelShape);
            int[] ls = toInt(latentShape);
            table.floats(p + ".pixel_values", pixels, ps, Tolerances.PIXEL_VALUES);
            int half = latent.length;
            table.floats(p + ".posterior_mean", Arrays.copyOfRange(moments, 0, half), ls, Tolerances.VAE_ENCODE);
            table.floats(p + ".posterior_logvar", Arrays.copyOfRange(moments, half, 2 * half), ls,
                    Tolerances.VAE_ENCODE);
            table.floats(p + ".eps", eps, ls, Tolerances.EXACT);
            table.floats(p + ".latent", latent, ls, Tolerances.VAE_ENCODE);
            for (Group g : groups) {
                if (n >= g.encodeOffset() && n < g.encodeOffset() + g.encodeCount()) {
                    table.floats(g.processorPrefix() + ".pixel_values." + (n - g.encodeOffset()), pixels, ps,
                            Tolerances.PIXEL_VALUES);
                }
            }
        } catch (RuntimeException e) {
            table.fail(p, "comparison error: " + e);
        }
    }

    @Override
    public void schedule(float[] sigmas) {
        table.floats("scheduler.sigma", sigmas, new int[] {sigmas.length}, Tolerances.SIGMA);
    }

    @Override
    public float[] stepInput(int step, float[] latents) {
        String name = "step." + step + ".z_in";
        try {
            if (step == 0) {
                table.floats("latents.z0", latents, latentShape, Tolerances.EXACT);
            }
            // Step 0's z_in is the initial noise, independent of the transformer; later ones are the previous z_out.
            table.floats(name, latents, latentShape, step == 0 ? Tolerances.STEP : bounds.latents());
            if (table.recorded(name)) {
                float[] forced = table.file().floats(name);
                if (forced.length == latents.length) {
                    return forced;
                }
                table.fail(name, "recorded z_in has " + forced.length + " values, the SDK's latents "
                        + latents.length + "; not fed in");
            }
        } catch (Exception e) {
            table.fail(name, "cannot feed the recorded latents: " + e);
        }
        return null;
    }

    @Override
    public void stepDone(int step, float sigma, float[] latentsIn, float[][] rawByBranch, float[] velocity,
                         float[] latentsOut) {
        String p = "step." + step;
        try {
            table.floats(p + ".timestep", new float[] {sigma}, new int[] {1}, Tolerances.SIGMA);
            for (int g = 0; g < rawByBranch.length; g++) {
                if (rawByBranch[g] != null) {
                    table.floats(p + ".raw." + g, rawByBranch[g], latentShape, bounds.raw());
                }
            }
            table.floats(p + ".velocity", velocity, latentShape, bounds.velocity());
            table.floats(p + ".z_out", latentsOut, latentShape, bounds.latents());
        } catch (RuntimeException e) {
            table.fail(p, "comparison error: " + e);
        }
    }

    private static int[] toInt(long[] s) {
        int[] out = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            out[i] = Math.toIntExact(s[i]);
        }
        return out;
    }
}
