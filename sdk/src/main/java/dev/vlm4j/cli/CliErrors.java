package dev.vlm4j.cli;

import dev.vlm4j.Vlm4jException;
import picocli.CommandLine;

/** Turns the errors vlm4j raises on purpose into one readable line and an exit code; anything else is a bug. */
final class CliErrors implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
        if (ex instanceof Vlm4jException) {
            cl.getErr().println("vlm4j: " + ex.getMessage());
            return Main.EXIT_MODEL_ERROR;
        }
        if (ex instanceof CommandLine.ParameterException pe) {
            cl.getErr().println("vlm4j: " + pe.getMessage());
            return Main.EXIT_USAGE;
        }
        cl.getErr().println("vlm4j: internal error: " + ex);
        ex.printStackTrace(cl.getErr());
        return Main.EXIT_FAILURE;
    }
}
