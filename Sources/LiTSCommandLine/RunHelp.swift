import ArgumentParser

/// `lits X ARGS` runs `lits X run ARGS` for the commands whose `run` subcommand is the default;
/// their `--help` shows that run's help (its arguments and options) before their subcommands.
public enum RunHelp {
    public static func discussion(_ run: ParsableCommand.Type, command: String) -> String {
        // Two columns narrower than the parent's 80, so its re-wrapping leaves every line as it is.
        var help = run.helpMessage(columns: 78)
        if help.hasPrefix("OVERVIEW: ") { help.removeFirst("OVERVIEW: ".count) }
        help = help.replacingOccurrences(of: "USAGE: \(run._commandName) ", with: "USAGE: \(command) ")
        return "`\(command) ARGS` runs `\(command) run ARGS`, whose help follows; the other subcommands are listed at the end.\n\n" + help
    }
}
