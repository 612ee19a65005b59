package io.omnigen4j.sdk.prompt;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the image tags {@code <|image_N|>} of a prompt and splits the text around them exactly like the
 * reference's {@code re.split(r"<\|image_\d+\|>", text)} (k tags → k+1 chunks, empty chunks kept), and checks
 * that tags and supplied images match (spec §2.2–2.4).
 *
 * <p>Decisions where the reference is silent or lenient:
 * <ul>
 *   <li>{@code \d} is Unicode-aware as in Python 3 and the number is read as a decimal integer like Python's
 *       {@code int()}, so {@code <|image_01|>} is image 1 (as in the reference).</li>
 *   <li>Text that starts like a tag ({@code <|image}, case-insensitive, optional blanks after {@code <|}) but is not
 *       a valid tag, e.g. {@code <|image_|>}, {@code <|image_x|>}, {@code <|Image_1|>}, {@code <|image_1>}, is
 *       rejected as {@link PromptException.Kind#MALFORMED_TAG}. The reference would tokenize it as plain text,
 *       which is never what the user meant.</li>
 *   <li>Any valid tag in a prompt given without images is {@link PromptException.Kind#TAG_WITHOUT_IMAGE}. The
 *       reference only asserts on the literal {@code <img><|image_1|></img>} and tokenizes other tags as text.</li>
 *   <li>The {@code <img>…</img>} wrapper is the documented form but is not required; it stays ordinary text.</li>
 * </ul>
 * Check order follows the reference: malformed tags; tags/images present at all; distinct sorted numbers = 1..K
 * ({@link PromptException.Kind#BAD_NUMBERING}); then K against the image count.
 */
public final class ImageTagParser {

    /** The reference's tag regex, with a group for the number; {@code \d} matches Unicode digits as in Python. */
    public static final Pattern TAG = Pattern.compile("<\\|image_(\\d+)\\|>", Pattern.UNICODE_CHARACTER_CLASS);

    /** Where something tag-like starts; every such position must begin a valid {@link #TAG}. */
    private static final Pattern TAG_LIKE = Pattern.compile("<\\|\\s*image", Pattern.CASE_INSENSITIVE
            | Pattern.UNICODE_CASE | Pattern.UNICODE_CHARACTER_CLASS);

    private ImageTagParser() {
    }

    /**
     * Splits at valid tags only, without validation (malformed tag-like text stays in the chunks).
     * @param text the prompt
     * @return the chunks and the tag numbers as written
     */
    public static TaggedText split(String text) {
        Matcher m = TAG.matcher(text);
        List<String> chunks = new ArrayList<>();
        List<Integer> numbers = new ArrayList<>();
        int last = 0;
        while (m.find()) {
            chunks.add(text.substring(last, m.start()));
            numbers.add(parseNumber(m.group(1), m.group()));
            last = m.end();
        }
        chunks.add(text.substring(last));
        return new TaggedText(chunks, numbers.stream().mapToInt(Integer::intValue).toArray());
    }

    /**
     * Splits {@code text} and checks it against {@code imageCount} supplied images.
     *
     * @param text the prompt
     * @param imageCount how many images the prompt comes with, ≥ 0
     * @return the chunks and tag numbers
     * @throws PromptException if a rule of the class comment is broken ({@link PromptException#kind()} says which)
     */
    public static TaggedText parse(String text, int imageCount) {
        if (imageCount < 0) {
            throw new IllegalArgumentException("imageCount < 0: " + imageCount);
        }
        checkMalformed(text);
        TaggedText tagged = split(text);
        validate(tagged, imageCount);
        return tagged;
    }

    /**
     * Checks tag numbers against the image count (the rules after malformed-tag detection).
     * @param tagged a split prompt
     * @param imageCount how many images the prompt comes with
     * @throws PromptException if a tag and the images do not match
     */
    public static void validate(TaggedText tagged, int imageCount) {
        int tags = tagged.tagCount();
        if (tags > 0 && imageCount == 0) {
            throw new PromptException(PromptException.Kind.TAG_WITHOUT_IMAGE, "the prompt has " + tags
                    + " image tag(s) (first <|image_" + tagged.tagNumber(0) + "|>) but no input images were given");
        }
        if (tags == 0 && imageCount > 0) {
            throw new PromptException(PromptException.Kind.IMAGE_WITHOUT_TAG, imageCount
                    + " input image(s) given but the prompt has no image tag; refer to image N with <img><|image_N|></img>");
        }
        if (tags == 0) {
            return;
        }
        TreeSet<Integer> distinct = new TreeSet<>();
        for (int n : tagged.tagNumbers()) {
            distinct.add(n);
        }
        int k = distinct.size();
        if (distinct.first() != 1 || distinct.last() != k) {
            throw new PromptException(PromptException.Kind.BAD_NUMBERING, "image tag numbers must start at 1 and be"
                    + " consecutive (1.." + k + "), found " + distinct);
        }
        if (k > imageCount) {
            throw new PromptException(PromptException.Kind.TAG_WITHOUT_IMAGE, "the prompt refers to <|image_" + k
                    + "|> but only " + imageCount + " input image(s) were given");
        }
        if (k < imageCount) {
            throw new PromptException(PromptException.Kind.IMAGE_WITHOUT_TAG, imageCount + " input images were given"
                    + " but the prompt only refers to images 1.." + k);
        }
    }

    private static void checkMalformed(String text) {
        Matcher like = TAG_LIKE.matcher(text);
        Matcher tag = TAG.matcher(text);
        while (like.find()) {
            tag.region(like.start(), text.length());
            if (!tag.lookingAt()) {
                int end = Math.min(text.length(), like.start() + 24);
                throw new PromptException(PromptException.Kind.MALFORMED_TAG, "malformed image tag at index "
                        + like.start() + ": \"" + text.substring(like.start(), end)
                        + "\"; the form is <img><|image_N|></img> with N = 1, 2, …");
            }
        }
    }

    /** Python {@code int()} of a run of Unicode decimal digits; numbers beyond int range are rejected. */
    private static int parseNumber(String digits, String tag) {
        long value = 0;
        for (int i = 0; i < digits.length(); ) {
            int cp = digits.codePointAt(i);
            value = value * 10 + Character.digit(cp, 10);
            if (value > Integer.MAX_VALUE) {
                throw new PromptException(PromptException.Kind.BAD_NUMBERING, "image tag number too large: " + tag);
            }
            i += Character.charCount(cp);
        }
        return (int) value;
    }
}
