package io.omnigen4j.cli;

import io.omnigen4j.export.ExportCommand;
import io.omnigen4j.sdk.GenerationCancelledException;
import io.omnigen4j.sdk.OmniGenException;
import io.omnigen4j.sdk.model.ModelFolderException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code omnigen}: the OmniGen4J command line. {@code generate} makes an image (with the offline demo model when no
 * {@code --model} is given), {@code export} turns an OmniGen checkpoint into a model folder, {@code info} describes a
 * model folder and the execution providers available.
 *
 * <p>Errors are one line on stderr saying what is wrong and how to fix it; exit code 2 for wrong arguments or inputs,
 * 1 for failures while running, 130 when cancelled. {@code --verbose} adds the stack trace.
 */
@Command(name = "omnigen", mixinStandardHelpOptions = true, versionProvider = OmniGenCli.Version.class,
        description = "OmniGen image generation on ONNX Runtime.",
        subcommands = {GenerateCommand.class, InfoCommand.class},
        footer = {"", "Run 'omnigen COMMAND --help' for a command's options. Without --model, generate uses a small"
                + " demo model with random weights (created once, offline)."})
public final class OmniGenCli implements Callable<Integer> {

    /** Commands with a {@code --verbose} flag: the error handler prints the stack trace when it is set. */
    interface Verbose {
        boolean verbose();
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return CliException.USAGE;
    }

    /** The configured command line; tests call {@code execute} on it with their own writers. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new OmniGenCli());
        cl.addSubcommand("export", new ExportCommand());
        cl.addSubcommand("bench", new io.omnigen4j.samples.bench.BenchmarkCommand());
        // Set after the subcommands are added: picocli applies these to the hierarchy present at this moment.
        cl.setExecutionExceptionHandler(OmniGenCli::onExecutionException);
        cl.setParameterExceptionHandler(OmniGenCli::onParameterException);
        return cl;
    }

    public static void main(String[] args) {
        if (Arrays.asList(args).contains("--verbose")
                && System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "debug");
        }
        System.exit(commandLine().execute(args));
    }

    private static int onParameterException(CommandLine.ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        PrintWriter err = cl.getErr();
        String message = oneLine(ex.getMessage()).replace("' is not an int", "' is not a whole number")
                .replace("' is not a float", "' is not a number").replace("' is not a long", "' is not a whole number");
        if (ex instanceof CommandLine.UnmatchedArgumentException u) {
            message = unmatched(u, message);
        } else if (ex instanceof CommandLine.MissingParameterException) {
            message += misspelled(cl.getCommandSpec(), args);
        }
        err.println("error: " + message + " (see '" + cl.getCommandSpec().qualifiedName() + " --help')");
        err.flush();
        return CliException.USAGE;
    }

    /**
     * An unknown option or command, with picocli's "did you mean" in our one-line style: the closest names by edit
     * distance, else picocli's own suggestions (names sharing the first letters).
     */
    static String unmatched(CommandLine.UnmatchedArgumentException u, String message) {
        List<String> unmatched = u.getUnmatched();
        if (unmatched == null || unmatched.isEmpty()) {
            return message;
        }
        String arg = unmatched.get(0);
        CommandLine.Model.CommandSpec spec = u.getCommandLine().getCommandSpec();
        boolean option = arg.startsWith("-");
        String name = option && arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
        List<String> candidates = new ArrayList<>();
        if (option) {
            for (CommandLine.Model.OptionSpec o : spec.options()) {
                if (!o.hidden()) {
                    candidates.addAll(Arrays.asList(o.names()));
                }
            }
        } else {
            spec.subcommands().forEach((n, sub) -> {
                if (!sub.getCommandSpec().usageMessage().hidden()) {
                    candidates.add(n);
                }
            });
        }
        List<String> suggestions = closest(name, candidates);
        if (suggestions.isEmpty()) {
            suggestions = u.getSuggestions().stream().filter(candidates::contains).limit(3).toList();
        }
        String text = !option && !spec.subcommands().isEmpty() && message.startsWith("Unmatched argument")
                ? "unknown command '" + arg + "'" : message;
        return suggestions.isEmpty() ? text : text + "; did you mean " + String.join(" or ", suggestions) + "?";
    }

    /**
     * picocli reports a missing required option before an unknown one, so "--chekpoint" yields "missing
     * --checkpoint": name the unknown long options given and what they are probably meant to be.
     */
    private static String misspelled(CommandLine.Model.CommandSpec spec, String[] args) {
        List<String> names = new ArrayList<>();
        for (CommandLine.Model.OptionSpec o : spec.options()) {
            names.addAll(Arrays.asList(o.names()));
        }
        StringBuilder sb = new StringBuilder();
        for (String arg : args) {
            String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            if (name.startsWith("--") && !names.contains(name)) {
                List<String> close = closest(name, names);
                if (!close.isEmpty()) {
                    sb.append("; unknown option '").append(name).append("': did you mean ")
                            .append(String.join(" or ", close)).append('?');
                }
            }
        }
        return sb.toString();
    }

    /** Names within a small edit distance of {@code typed} (about one typo per four letters), nearest first. */
    static List<String> closest(String typed, List<String> names) {
        String t = typed.toLowerCase(Locale.ROOT);
        int letters = t.replaceFirst("^-+", "").length();
        if (letters < 3) {
            return List.of(); // "-x" is one edit from every short option: no useful guess
        }
        int allowed = Math.max(1, Math.min(3, letters / 4));
        Map<String, Integer> distance = new LinkedHashMap<>();
        for (String n : names) {
            int d = editDistance(t, n.toLowerCase(Locale.ROOT));
            if (d <= allowed && !distance.containsKey(n)) {
                distance.put(n, d);
            }
        }
        return distance.entrySet().stream().sorted(Map.Entry.comparingByValue()).limit(3).map(Map.Entry::getKey)
                .toList();
    }

    /** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours cost 1. */
    static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    private static int onExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
        int code;
        String message;
        boolean unexpected = false;
        if (ex instanceof CliException c) {
            code = c.exitCode();
            message = c.getMessage();
        } else if (ex instanceof GenerationCancelledException) {
            code = 130;
            message = "cancelled";
        } else if (ex instanceof ModelFolderException) {
            code = CliException.USAGE;
            message = ex.getMessage();
            // Name the option the folder came from (the SDK's message names the folder, not how it was given).
            CommandLine.ParseResult given = cl.getParseResult();
            if (given != null && given.hasMatchedOption("--model") && message != null
                    && !message.contains("--model")) {
                message = "--model: " + message;
            }
        } else if (ex instanceof OmniGenException) {
            code = CliException.RUNTIME;
            message = ex.getMessage();
        } else {
            code = CliException.RUNTIME;
            message = "unexpected " + ex.getClass().getSimpleName() + ": " + ex.getMessage();
            unexpected = true;
        }
        boolean verbose = cl.getCommand() instanceof Verbose v && v.verbose();
        PrintWriter err = cl.getErr();
        err.println("error: " + oneLine(message)
                + (unexpected && !verbose ? " (run again with --verbose for the stack trace)" : ""));
        if (verbose) {
            ex.printStackTrace(err);
        }
        err.flush();
        return code;
    }

    /** Collapses line breaks so every error stays on one line. */
    static String oneLine(String s) {
        return s == null ? "(no message)" : s.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"omnigen " + Versions.sdk() + " (OmniGen4J SDK " + Versions.sdk() + ", Java "
                    + System.getProperty("java.version") + ")"};
        }
    }
}
