package dev.vlm4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code vlm4j} command line. Each subcommand is its own class, registered in {@link #commandLine()}.
 * Exit codes: 0 ok, 2 usage error, 3 model or image error, 1 anything else.
 */
@Command(name = "vlm4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Vision-language models (LLaVA-style GGUF) in-process on the JVM.",
        subcommands = {CommandLine.HelpCommand.class, ImageAnswerCommand.Caption.class, ImageAnswerCommand.Ask.class,
                ChatCommand.class, BatchCommand.class, GenerateCommand.class, EncodeImageCommand.class,
                TokenizeCommand.class, InspectCommand.class, BenchCommand.class, DevicesCommand.class})
public final class Main {
    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_MODEL_ERROR = 3;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI without exiting (tests call this). */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(new CliErrors());
        cl.setCaseInsensitiveEnumValuesAllowed(true); // --backend opencl, --type q8_0
        return cl;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"vlm4j " + (v == null ? "dev" : v) + " on Java " + Runtime.version()};
        }
    }
}
