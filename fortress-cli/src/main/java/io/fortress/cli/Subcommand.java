package io.fortress.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;

/** A command that does one thing and returns its exit status; picocli injects its spec, whose writer is its output. */
abstract class Subcommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Where the command prints what it has to say. */
    final PrintWriter out() {
        return spec.commandLine().getOut();
    }
}
