package io.omnigen4j.cli;

import io.omnigen4j.export.ExportCommand;
import io.omnigen4j.sdk.GenerationCancelledException;
import io.omnigen4j.sdk.OmniGenException;
import io.omnigen4j.sdk.model.ModelFolderException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.Arrays;
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
        err.println("error: " + oneLine(ex.getMessage()) + " (see '" + cl.getCommandSpec().qualifiedName()
                + " --help')");
        err.flush();
        return CliException.USAGE;
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
